/**
 * UMI grouping as Akka Streams shapes: {@link io.umiflow.streams.GroupingFlow} turns raw BAM records (or
 * htsjdk records) into grouped position groups under the same byte budget as the file job;
 * {@link io.umiflow.streams.BamSource} and {@link io.umiflow.streams.BamSink} read and write BAM files the way
 * {@code umiflow group} does, so a graph {@code BamSource -> GroupingFlow -> BamSink} writes what the command
 * writes. The flow runs the actors of {@code umiflow-actors}' {@link io.umiflow.actors.GroupStage}; this
 * module only bridges its byte credits to stream demand.
 */
package io.umiflow.streams;
