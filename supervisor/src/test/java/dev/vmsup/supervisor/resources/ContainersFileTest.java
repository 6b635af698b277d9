package dev.vmsup.supervisor.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.vmsup.cgroupfs.CpuList;

class ContainersFileTest {
    @Test
    void parsesOciLinuxResources() {
        Map<String, ContainerResources> c = ContainersFile.parse("""
                {"app": {"cpu": {"quota": 50000, "period": 100000, "shares": 1024, "cpus": "0-1", "mems": "0"},
                         "memory": {"limit": 268435456}},
                 "sidecar": {"cpu": {"quota": -1}},
                 "empty": {}}
                """);
        assertThat(c).containsOnlyKeys("app", "sidecar", "empty");
        assertThat(c.get("app")).isEqualTo(new ContainerResources(50_000L, 100_000L, 1024L, CpuList.parse("0-1"),
                CpuList.of(0), 268_435_456L));
        assertThat(c.get("sidecar").hasCpuLimit()).isFalse();
        assertThat(c.get("empty")).isEqualTo(ContainerResources.NONE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"a\": {\"cpu\": {\"quota\": -5}}} | cpu.quota",
            "{\"a\": {\"cpu\": {\"quota\": 999}}} | cpu.quota",
            "{\"a\": {\"cpu\": {\"quota\": 99999999999999999999}}} | cpu.quota",
            "{\"a\": {\"cpu\": {\"period\": 0}}} | cpu.period",
            "{\"a\": {\"cpu\": {\"period\": 2000000}}} | cpu.period",
            "{\"a\": {\"cpu\": {\"shares\": 1}}} | cpu.shares",
            "{\"a\": {\"cpu\": {\"shares\": \"1024\"}}} | cpu.shares",
            "{\"a\": {\"memory\": {\"limit\": -2}}} | memory.limit",
            "{\"a\": {\"memory\": {\"limit\": 1.5}}} | memory.limit",
            "{\"a\": {\"cpu\": {\"cpus\": \"0-\"}}} | cpu list",
            "{\"a\": {\"cpu\": {\"cpus\": \"3-1\"}}} | cpu list",
            "{\"a\": {\"cpu\": {\"cpus\": \"1,,2\"}}} | cpu list",
            "{\"a\": {\"cpu\": {\"cpus\": \"99999\"}}} | cpu list",
            "{\"a\": {\"cpu\": {\"mems\": 0}}} | cpu.mems",
            "{\"a\": {\"cpu\": {\"quota\": 1000, \"burst\": 5}}} | unknown field 'burst'",
            "{\"a\": {\"pids\": {\"limit\": 5}}} | unknown field 'pids'",
            "{\"a\": []} | must be a JSON object",
            "[] | JSON object",
            "{\"a/../b\": {}} | invalid container id",
            "{\"a\": {}} trailing | malformed",
            "{\"a\": {}, \"a\": {}} | malformed",
            "{\"a\": {\"cpu\": } | malformed",
    })
    void rejectsBadInputNamingTheField(String json, String expected) {
        assertThatThrownBy(() -> ContainersFile.parse(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(expected);
    }
}
