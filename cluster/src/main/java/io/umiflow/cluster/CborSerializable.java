package io.umiflow.cluster;

/**
 * Marks the messages that cross between nodes; bound to Akka's Jackson CBOR serializer in this module's
 * {@code reference.conf}. They are all small: work descriptors, progress and results, never reads.
 */
public interface CborSerializable {}
