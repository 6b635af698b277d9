package dev.vmsup.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The supervisor's packages are floors: a class may use its own package and the floors below it, never one beside
 * or above (so there is no cycle), and of cgroupfs only its API, not its internals. Read from the main sources'
 * imports; see docs/architecture.md.
 */
class LayeringTest {
    private static final String BASE = "dev.vmsup.supervisor";
    /** Package (below BASE; "" is BASE itself) to floor, top down. */
    static final Map<String, Integer> FLOORS = Map.ofEntries(
            Map.entry("cli", 7),
            Map.entry("api", 6),
            Map.entry("sandbox", 5),
            Map.entry("cgroups", 4),
            Map.entry("vm", 3), Map.entry("state", 3), Map.entry("resources", 3), Map.entry("ctl", 3),
            Map.entry("systemd", 3), Map.entry("process", 3), Map.entry("usage", 3),
            Map.entry("config", 2),
            Map.entry("", 1));
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?" + Pattern.quote(BASE)
            + "((?:\\.[a-z]\\w*)*)\\.[A-Z]", Pattern.MULTILINE);

    @Test
    void nothingImportsSidewaysOrUpward() throws IOException {
        Path main = Path.of("src/main/java/dev/vmsup/supervisor");
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> all = Files.walk(main)) {
            for (Path file : all.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                String pkg = main.relativize(file.getParent()).toString().replace('/', '.');
                assertThat(FLOORS).as("floor of package '%s' (%s)", pkg, file).containsKey(pkg);
                String source = Files.readString(file);
                if (source.contains("import dev.vmsup.cgroupfs.internal.")) {
                    violations.add(file.getFileName() + " (" + pkg + ") imports cgroupfs internals");
                }
                Matcher m = IMPORT.matcher(source);
                while (m.find()) {
                    String used = m.group(1).isEmpty() ? "" : m.group(1).substring(1);
                    if (!used.equals(pkg) && FLOORS.getOrDefault(used, 99) >= FLOORS.get(pkg)) {
                        violations.add(file.getFileName() + " (" + pkg + ") imports " + used);
                    }
                }
            }
        }
        assertThat(files).as("main sources found").isGreaterThan(30);
        assertThat(violations).isEmpty();
    }

    @Test
    void noMainClassIsOverThreeHundredFiftyLines() throws IOException {
        try (Stream<Path> all = Files.walk(Path.of("src/main/java"))) {
            List<String> long_ = new ArrayList<>();
            for (Path file : all.filter(p -> p.toString().endsWith(".java")).toList()) {
                long lines = Files.readAllLines(file).size();
                if (lines > 350) {
                    long_.add(file.getFileName() + ": " + lines);
                }
            }
            assertThat(long_).isEmpty();
        }
    }
}
