package io.umiflow.cluster;

/**
 * What a worker node gives each sample it runs: its memory budget (the byte ledger of one job) and worker
 * threads, how many samples it runs at once (each with the whole budget divided by that number), and the
 * folders samples may read and write.
 */
public record NodeSettings(long memoryBudget, int threads, int concurrentSamples, long progressMillis,
                           AllowedPaths allowedPaths) {
  public NodeSettings {
    if (concurrentSamples < 1) {
      throw new IllegalArgumentException("concurrent samples must be >= 1, got " + concurrentSamples);
    }
  }

  /** Settings whose samples may use files anywhere (embedding hosts and tests that place their own nodes). */
  public NodeSettings(long memoryBudget, int threads, int concurrentSamples, long progressMillis) {
    this(memoryBudget, threads, concurrentSamples, progressMillis, AllowedPaths.anywhere());
  }

  /** The ledger budget of one sample's job. */
  public long budgetPerSample() {
    return memoryBudget / concurrentSamples;
  }
}
