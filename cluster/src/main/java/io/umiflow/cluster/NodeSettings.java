package io.umiflow.cluster;

/**
 * What a worker node gives each sample it runs: its memory budget (the byte ledger of one job) and worker
 * threads, and how many samples it runs at once (each with the whole budget divided by that number).
 */
public record NodeSettings(long memoryBudget, int threads, int concurrentSamples, long progressMillis) {
  public NodeSettings {
    if (concurrentSamples < 1) {
      throw new IllegalArgumentException("concurrent samples must be >= 1, got " + concurrentSamples);
    }
  }

  /** The ledger budget of one sample's job. */
  public long budgetPerSample() {
    return memoryBudget / concurrentSamples;
  }
}
