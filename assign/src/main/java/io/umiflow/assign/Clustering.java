package io.umiflow.assign;

/**
 * Groups the distinct UMIs of one subgroup into molecules. Writes a molecule index 0..k-1 per distinct
 * UMI into {@code ws.molecule}, numbered in the strategy's deterministic molecule order, and returns k.
 */
interface Clustering {
  int cluster(DistinctUmis d, int edits, Workspace ws);
}
