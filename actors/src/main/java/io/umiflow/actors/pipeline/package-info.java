/**
 * Internal: the pipeline's actors and the plain classes they delegate to. An actor class is its protocol
 * (nested {@code Command} records) and handlers; the work is in classes with no Akka behaviour, unit-tested
 * on their own.
 *
 * <ul>
 *   <li>{@code Reader} reads compressed blocks (I/O dispatcher); {@code Inflater}s inflate them.</li>
 *   <li>{@code Grouper} restores chunk order and asks {@link io.umiflow.actors.pipeline.OpenBatch} to
 *       assemble templates ({@code PositionOrder} checks their order), cut batches of whole position
 *       groups and stream giant groups to disk; {@code Dispatcher} picks the least-loaded worker.</li>
 *   <li>{@code Processor}s (the worker pool) cover their scratch with {@code WorkerCredits}, assign with
 *       {@link io.umiflow.actors.batch.BatchAssigner} and encode with {@code BatchEncoder}.</li>
 *   <li>{@code Writer} numbers molecules in order ({@code MoleculeNumbering}) and writes the file;
 *       {@code StageOutput} does the same for a stream stage.</li>
 *   <li>{@link io.umiflow.actors.pipeline.Pipeline} spawns and wires them for the API classes.</li>
 * </ul>
 */
package io.umiflow.actors.pipeline;
