/**
 * Sorting into samtools' template-coordinate order: {@link io.umiflow.actors.sort.TemplateRuns} buffers records
 * with their keys, spills sorted runs and merges them; {@link io.umiflow.actors.sort.TemplateSorter} is
 * {@code umiflow sort} on top of it, and the file job's reader uses it when its input is not in that order.
 * {@link io.umiflow.actors.sort.ParallelBgzfInput} and {@link io.umiflow.actors.sort.ParallelBgzfOutput}
 * inflate and compress on an executor so that the sorting thread only parses, keys and copies.
 */
package io.umiflow.actors.sort;
