/**
 * The embedding API, and the only package a host should use: {@link io.umiflow.actors.GroupJob} (a file
 * job as a Behavior), {@link io.umiflow.actors.GroupStage} (a stream stage), their settings
 * ({@link io.umiflow.actors.GroupSettings}, {@link io.umiflow.actors.MemoryTuning}) and results
 * ({@link io.umiflow.actors.JobSummary}, {@link io.umiflow.actors.GroupedBatch},
 * {@link io.umiflow.actors.SamRecords}). {@code docs/embedding.md} shows them in use.
 *
 * <p>The sub-packages are internal (public only because Java has no friend packages; they may change
 * between releases): {@code pipeline} (the actors and their plain helpers), {@code batch} (what is done to
 * one batch of position groups), {@code memory} (the byte ledger and its plan) and {@code outofcore} (giant
 * groups on disk). {@code docs/architecture.md} is the map.
 */
package io.umiflow.actors;
