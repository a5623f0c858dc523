package io.umiflow.app;

import io.umiflow.actors.GroupSettings;
import io.umiflow.actors.JobSummary;

/**
 * The {@code --summary-json} document of a completed {@code umiflow group} run: what went in and out, what
 * was filtered, the groups and molecules formed, time and memory, the settings and the version. Schema
 * {@value #SCHEMA}, documented field by field in {@code docs/summary-json.md}; fields are only ever added
 * under one schema name.
 */
final class SummaryJson {
  static final String SCHEMA = "umiflow.group.summary/1";

  private SummaryJson() {}

  /**
   * @param memoryCeiling the process ceiling ({@code --memory}) in bytes
   * @param peakRss       the process's peak RSS in bytes, or -1 when unknown
   */
  static String of(GroupSettings s, JobSummary m, long memoryCeiling, long peakRss) {
    JsonText j = new JsonText()
        .field("schema", SCHEMA)
        .field("status", "completed")
        .field("version", BuildInfo.version())
        .field("commit", BuildInfo.commit())
        .field("command_line", s.commandLine())
        .field("input", s.source())
        .field("output", s.outputIsStdout() ? "standard output" : s.output());
    j.begin("records")
        .field("read", m.recordsRead())
        .field("written", m.recordsWritten())
        .field("accepted", m.accepted())
        .field("secondary_or_supplementary", m.secondaryOrSupplementary())
        .end();
    j.begin("filtered_records")
        .field("non_pf", m.discardedNonPf())
        .field("poor_alignment", m.discardedPoorAlignment())
        .field("ns_in_umi", m.discardedNsInUmi())
        .field("umi_too_short", m.discardedUmisTooShort())
        .end();
    j.field("templates", m.templates())
        .field("molecules", m.molecules())
        .field("families", m.families());
    j.begin("position_groups")
        .field("count", m.positionGroups())
        .field("largest_templates", m.largestGroup())
        .field("spilled", m.spilledGroups())
        .end();
    j.field("wall_seconds", m.wallMillis() / 1000.0);
    j.begin("memory")
        .field("ceiling_bytes", memoryCeiling)
        .fieldOrNull("peak_rss_bytes", peakRss)
        .field("budget_bytes", m.budgetBytes())
        .field("budget_peak_bytes", m.peakAccountedBytes())
        .field("heap_peak_bytes", m.peakHeapBytes())
        .end();
    j.begin("settings")
        .field("strategy", s.strategy().cliName())
        .field("edits", s.edits())
        .field("min_map_q", s.minMapQ())
        .field("include_non_pf_reads", s.includeNonPf())
        .field("raw_tag", s.rawTag())
        .field("assign_tag", s.assignTag())
        .field("cell_tag", s.cellTag())
        .field("min_umi_length", s.minUmiLength())
        .field("mark_duplicates", s.markDuplicates())
        .field("threads", s.threads())
        .field("compression_level", s.compressionLevel())
        .field("deflater", s.deflateBackend().toString().toLowerCase(java.util.Locale.ROOT))
        .end();
    return j.text();
  }
}
