package io.umiflow.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS with mutual authentication between the members of a umiflow cluster (Akka Artery {@code tls-tcp}):
 * every member presents a certificate signed by the cluster's CA and accepts only peers that do, so a
 * process without such a certificate cannot join, send samples or read the cluster's traffic.
 *
 * <p>Two forms. PEM files ({@link #pem}): the member's private key and certificate and the CA certificate,
 * read by Akka's rotating-keys provider, which also requires the peer's certificate to share a subject name
 * with the member's own (give every member's certificate the same DNS name, e.g. {@code umiflow-cluster});
 * and Java key stores ({@link #keyStores}, PKCS12 or JKS): the member's key and certificate, and a trust
 * store with the CA. See {@code docs/cluster.md} for making a private CA with openssl.
 */
public sealed interface Tls {
  /** The Artery settings for this form. */
  String config();

  /** PEM files: key (PKCS#1 or PKCS#8, unencrypted), certificate, CA certificate. */
  static Tls pem(Path key, Path cert, Path ca) {
    return new Pem(readable(key, "--tls-key"), readable(cert, "--tls-cert"), readable(ca, "--tls-ca"));
  }

  /** Key stores and the password of both (and of the key). */
  static Tls keyStores(Path keyStore, Path trustStore, String password) {
    return new KeyStores(readable(keyStore, "--tls-keystore"), readable(trustStore, "--tls-truststore"), password);
  }

  record Pem(Path key, Path cert, Path ca) implements Tls {
    @Override
    public String config() {
      return "akka.remote.artery.transport = tls-tcp\n"
          + "akka.remote.artery.ssl.ssl-engine-provider = \"akka.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider\"\n"
          + "akka.remote.artery.ssl.rotating-keys-engine {\n"
          + "  key-file = " + quoted(key) + "\n"
          + "  cert-file = " + quoted(cert) + "\n"
          + "  ca-cert-file = " + quoted(ca) + "\n"
          + "}\n";
    }
  }

  record KeyStores(Path keyStore, Path trustStore, String password) implements Tls {
    @Override
    public String config() {
      return "akka.remote.artery.transport = tls-tcp\n"
          + "akka.remote.artery.ssl.ssl-engine-provider = \"akka.remote.artery.tcp.ConfigSSLEngineProvider\"\n"
          + "akka.remote.artery.ssl.config-ssl-engine {\n"
          + "  key-store = " + quoted(keyStore) + "\n"
          + "  trust-store = " + quoted(trustStore) + "\n"
          + "  key-store-password = " + quoted(password) + "\n"
          + "  key-password = " + quoted(password) + "\n"
          + "  trust-store-password = " + quoted(password) + "\n"
          + "  require-mutual-authentication = on\n"
          + "  hostname-verification = off\n"
          + "}\n";
    }

    @Override
    public String toString() {
      return "KeyStores[" + keyStore + ", " + trustStore + "]"; // never the password
    }
  }

  private static Path readable(Path p, String option) {
    if (!Files.isReadable(p)) {
      throw new IllegalArgumentException(option + " " + p + ": no such file or not readable");
    }
    return p.toAbsolutePath();
  }

  private static String quoted(Object o) {
    return com.typesafe.config.ConfigUtil.quoteString(o.toString());
  }
}
