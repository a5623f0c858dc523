package io.umiflow.actors;

/** The product version, recorded in {@code @PG} lines. */
public final class Version {
  /** The version string. */
  public static final String VERSION = "0.1.0";

  private Version() {}
}
