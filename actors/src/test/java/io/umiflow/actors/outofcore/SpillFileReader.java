package io.umiflow.actors.outofcore;

import io.umiflow.actors.batch.Batch;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.DeflateBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test access to a spill file's templates, for tests outside this package. */
public final class SpillFileReader {
  private SpillFileReader() {}

  /** Every template of the file as its primary records' bytes (R1, then R2), in file order. */
  public static List<List<byte[]>> templates(Path file, DeflateBackend backend) throws IOException {
    List<List<byte[]>> out = new ArrayList<>();
    try (SpillChunks.Pass pass = new SpillChunks(file, backend, 0, 1 << 16).pass()) {
      Batch b;
      while ((b = pass.next()) != null) {
        for (int t = 0; t < b.templates(); t++) {
          List<byte[]> records = new ArrayList<>(2);
          for (int rec : new int[] {b.r1()[t], b.r2()[t]}) {
            if (rec >= 0) {
              records.add(Arrays.copyOfRange(b.data(), rec, rec + BamRecord.totalSize(b.data(), rec)));
            }
          }
          out.add(records);
        }
      }
    }
    return out;
  }
}
