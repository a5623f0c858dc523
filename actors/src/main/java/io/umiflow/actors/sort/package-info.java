/**
 * Sorting into samtools' template-coordinate order: {@link io.umiflow.actors.sort.TemplateSorter} sorts in
 * memory or through runs on disk and merges them. Used by {@code umiflow sort}.
 */
package io.umiflow.actors.sort;
