package dev.vmsup.cgroupfs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupFilesKeyedTest {

    @Test
    void keyedFilesKeepTwoFieldNumericLinesInOrder(@TempDir Path dir) throws IOException {
        Path stat = dir.resolve("memory.stat");
        Files.writeString(stat, "cache 4096\nrss  8192\nmapped_file\t12\nthree fields 1\nnot_a number\n\n"
                + "  padded 7  \nlonely\nhierarchical_memory_limit 9223372036854771712\n");
        Map<String, Long> values = CgroupFiles.readKeyed(stat);
        assertThat(values).containsExactly(Map.entry("cache", 4096L), Map.entry("rss", 8192L),
                Map.entry("mapped_file", 12L), Map.entry("padded", 7L),
                Map.entry("hierarchical_memory_limit", 9223372036854771712L));
    }
}
