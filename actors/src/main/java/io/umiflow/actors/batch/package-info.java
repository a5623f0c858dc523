/**
 * Internal: what is done to one batch of whole position groups, with no actors and no credits. A
 * {@link io.umiflow.actors.batch.Batch} is the grouper's cut; {@link io.umiflow.actors.batch.BatchAssigner}
 * filters ({@link io.umiflow.actors.batch.TemplateClassifier}), partitions by library and cell, assigns
 * molecules, orders templates and marks duplicates, one group at a time and within the scratch it is
 * allowed; {@link io.umiflow.actors.batch.MoleculeIdTag} writes the per-record edits. Shared by the
 * in-memory and the out-of-core paths.
 */
package io.umiflow.actors.batch;
