package io.umiflow.streams;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * docs/embedding.md shows the example classes whole; the tests run those classes, so the docs show code
 * that compiles and works only if they are copied verbatim. This keeps them so.
 */
class EmbeddingDocsTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  @Test
  void everyExampleClass_appearsVerbatimInTheDocs() throws Exception {
    String docs = Files.readString(ROOT.resolve("docs/embedding.md"));
    for (String example : new String[] {
        "streams/src/test/java/io/umiflow/example/StreamsExample.java",
        "actors/src/test/java/io/umiflow/example/HostConsumerExample.java",
        "actors/src/test/java/io/umiflow/example/EmbeddingExample.java"}) {
      String code = Files.readString(ROOT.resolve(example));
      assertTrue(docs.contains(code), example + " differs from its copy in docs/embedding.md; copy it again");
    }
  }
}
