package io.umiflow.cluster;

import java.util.Map;

/**
 * One sample of a cohort: where its input is, where its output goes, and the {@code umiflow group}
 * options that differ from the node's defaults ({@link SampleOptions} lists them). Small, so it crosses
 * the wire as it is.
 *
 * @param sampleId the sharding entity id; unique in a cohort
 * @param input    BAM path, readable on every worker node (shared storage)
 * @param output   BAM path, writable on every worker node
 * @param options  option name (as on the command line, without dashes) to value
 */
public record SampleWork(String sampleId, String input, String output, Map<String, String> options)
    implements CborSerializable {
  public SampleWork {
    options = Map.copyOf(options);
  }
}
