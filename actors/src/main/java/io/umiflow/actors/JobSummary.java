package io.umiflow.actors;

/**
 * What a finished job did.
 *
 * @param recordsRead            records in the input (all of them, secondary and supplementary included)
 * @param recordsWritten         records in the output
 * @param templates              templates with primary records
 * @param positionGroups         position groups
 * @param largestGroup           templates in the largest position group
 * @param molecules              molecule ids handed out
 * @param families               families (distinct full MI values)
 * @param accepted               primary records kept
 * @param discardedNonPf         primary records of QC-fail templates
 * @param discardedPoorAlignment primary records of unmapped or low-MAPQ templates
 * @param discardedNsInUmi       primary records of templates whose UMI has an N
 * @param discardedUmisTooShort  primary records of templates whose UMI is too short
 * @param wallMillis             wall time of the job
 * @param peakAccountedBytes     the ledger's peak
 * @param budgetBytes            the ledger's budget
 * @param accountPeaks           per ledger account (reader, batches, each processor): its peak and its capacity
 * @param peakHeapBytes          the JVM's measured peak heap use (all pools' peaks), for comparison
 * @param spilledGroups          position groups too large for memory, grouped out of core through temporary files
 */
public record JobSummary(
    long recordsRead,
    long recordsWritten,
    long templates,
    long positionGroups,
    long largestGroup,
    long molecules,
    long families,
    long accepted,
    long discardedNonPf,
    long discardedPoorAlignment,
    long discardedNsInUmi,
    long discardedUmisTooShort,
    long wallMillis,
    long peakAccountedBytes,
    long budgetBytes,
    java.util.List<AccountPeak> accountPeaks,
    long peakHeapBytes,
    long spilledGroups) {

  /** One ledger account's peak use and capacity. */
  public record AccountPeak(String name, long peakBytes, long capacityBytes) {}

  /** Records dropped without a filter category: secondary and supplementary records. */
  public long secondaryOrSupplementary() {
    return recordsRead - accepted - discardedNonPf - discardedPoorAlignment - discardedNsInUmi - discardedUmisTooShort;
  }
}
