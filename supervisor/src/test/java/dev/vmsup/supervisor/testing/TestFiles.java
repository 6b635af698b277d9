package dev.vmsup.supervisor.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers the tests, the bench and the soak share. */
public final class TestFiles {
    private TestFiles() {
    }

    /** Deletes {@code dir} and everything under it, deepest first; what is already gone is skipped. */
    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
