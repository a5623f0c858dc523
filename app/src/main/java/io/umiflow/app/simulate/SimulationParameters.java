package io.umiflow.app.simulate;

/**
 * What {@link Simulator} makes. Family sizes are {@code max(1, round(X))} with X lognormal of the given
 * mean and log-space sigma; a fraction of molecules instead get a large family. Noise rates are per
 * template. In amplicon mode a few loci (fixed insert each) receive the given numbers of templates on top
 * of the regular molecules, each its own size when several are given.
 */
public record SimulationParameters(
    long seed,
    long records,
    int contigs,
    int contigLength,
    int readLength,
    int insertMean,
    int insertSd,
    double familyMean,
    double familySigma,
    double largeFamilyRate,
    int largeFamilySize,
    int umiLength,
    double umiErrorRate,
    double nRate,
    boolean duplex,
    double softClipRate,
    int libraries,
    int cells,
    double mapq0Rate,
    double unmappedMateRate,
    double unmappedRate,
    double secondaryRate,
    double supplementaryRate,
    double qcFailRate,
    double chimeraRate,
    int ampliconLoci,
    long[] ampliconTemplates) {

  /** Every amplicon locus gets {@code ampliconTemplates} templates. */
  public SimulationParameters(long seed, long records, int contigs, int contigLength, int readLength, int insertMean,
                              int insertSd, double familyMean, double familySigma, double largeFamilyRate,
                              int largeFamilySize, int umiLength, double umiErrorRate, double nRate, boolean duplex,
                              double softClipRate, int libraries, int cells, double mapq0Rate, double unmappedMateRate,
                              double unmappedRate, double secondaryRate, double supplementaryRate, double qcFailRate,
                              double chimeraRate, int ampliconLoci, long ampliconTemplates) {
    this(seed, records, contigs, contigLength, readLength, insertMean, insertSd, familyMean, familySigma,
        largeFamilyRate, largeFamilySize, umiLength, umiErrorRate, nRate, duplex, softClipRate, libraries, cells,
        mapq0Rate, unmappedMateRate, unmappedRate, secondaryRate, supplementaryRate, qcFailRate, chimeraRate,
        ampliconLoci, new long[] {ampliconTemplates});
  }

  /** About how many records a run writes: {@code records} plus two per amplicon template (for progress). */
  public long expectedRecords() {
    long amplicon = 0;
    for (int i = 0; i < ampliconLoci; i++) {
      amplicon += 2 * ampliconTemplates(i);
    }
    return records + amplicon;
  }

  /** Templates at amplicon locus {@code i}: the sizes given, repeated when there are more loci than sizes. */
  public long ampliconTemplates(int i) {
    return ampliconTemplates[i % ampliconTemplates.length];
  }

  /** Checks ranges; throws IllegalArgumentException with a one-line reason. */
  public SimulationParameters {
    require(records >= 0, "--records must be >= 0");
    require(contigs >= 1 && contigs <= 1000, "--contigs must be 1-1000");
    require(readLength >= 20 && readLength <= 1000, "--read-length must be 20-1000");
    require(insertMean >= readLength && insertSd >= 0, "--insert-mean must be at least the read length");
    require((long) contigLength > 4L * insertMean + 10L * insertSd + 1000, "--contig-length is too short for the inserts");
    require(familyMean >= 1, "--family-mean must be >= 1");
    require(familySigma >= 0, "--family-sigma must be >= 0");
    require(umiLength >= 1 && umiLength <= 32, "--umi-length must be 1-32");
    require(libraries >= 1 && libraries <= 99, "--libraries must be 1-99");
    require(cells >= 0, "--cells must be >= 0");
    require(ampliconLoci >= 0 && ampliconTemplates.length > 0 && java.util.Arrays.stream(ampliconTemplates).allMatch(
        t -> t >= 0), "amplicon sizes must be >= 0");
    for (double r : new double[] {largeFamilyRate, umiErrorRate, nRate, softClipRate, mapq0Rate, unmappedMateRate,
        unmappedRate, secondaryRate, supplementaryRate, qcFailRate, chimeraRate}) {
      require(r >= 0 && r <= 1, "rates must be between 0 and 1");
    }
    require(contigs > 1 || chimeraRate == 0, "chimeric pairs need at least two contigs");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
