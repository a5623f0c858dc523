package io.umiflow.assign;

import java.util.Locale;

/** The UMI assignment strategies of fgbio {@code GroupReadsByUmi}, with the same names. */
public enum Strategy {
  /** Same UMI string, same molecule. */
  IDENTITY,
  /** Single linkage: connected components of the "within --edits" graph. */
  EDIT,
  /** Directional adjacency (UMI-tools): errors join only down a count gradient. */
  ADJACENCY,
  /** Adjacency on duplex {@code A-B} UMIs in genomic order, with /A and /B strands. */
  PAIRED;

  /** Parses a strategy name as fgbio spells it (case-insensitive). */
  public static Strategy parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown strategy '" + name + "' (expected identity, edit, adjacency or paired)");
    }
  }

  /** Lower-case name, as on the command line. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
