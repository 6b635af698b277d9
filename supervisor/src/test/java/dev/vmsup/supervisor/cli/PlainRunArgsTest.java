package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Option;

class PlainRunArgsTest {
    private static final String[] EVERY_OPTION = {"--id", "s1", "--config", "/etc/vmsup.toml", "--vcpus", "2",
        "--max-vcpus", "8", "--memory=256", "--kernel", "/k", "--initrd", "/i", "--append", "console=ttyS0 quiet",
        "--accel", "tcg", "--cgroup-parent", "system.slice:vmsup:s1", "--sandbox-cgroup-only", "--systemd-cgroup",
        "auto", "--overhead-cgroup", "/oh", "--state-dir", "/run/x", "--api-socket", "none", "--share", "/srv:tag",
        "--serial", "stdio", "--containers", "/c.json", "--paused", "--ready-fd", "3"};

    @Test
    void knowsExactlyTheOptionsRunCommandDeclares() {
        Set<String> declared = new HashSet<>();
        for (Field f : RunCommand.class.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o != null) {
                declared.addAll(Arrays.asList(o.names()));
            }
        }
        Set<String> plain = new HashSet<>(PlainRunArgs.VALUED);
        plain.addAll(PlainRunArgs.FLAGS);
        assertThat(plain).isEqualTo(declared);
    }

    @Test
    void readsEveryOptionAsPicocliDoes() throws Exception {
        RunCommand plain = PlainRunArgs.parse(EVERY_OPTION);
        assertThat(plain).isNotNull();
        RunCommand picked = new RunCommand();
        new CommandLine(picked).parseArgs(EVERY_OPTION);
        List<String> compared = new ArrayList<>();
        for (Field f : RunCommand.class.getDeclaredFields()) {
            if (f.getAnnotation(Option.class) != null) {
                f.setAccessible(true);
                assertThat(f.get(plain)).as(f.getName()).isNotNull().isEqualTo(f.get(picked));
                compared.add(f.getName());
            }
        }
        assertThat(compared).hasSize(PlainRunArgs.VALUED.size() + PlainRunArgs.FLAGS.size());
    }

    @Test
    void leavesEverythingUnusualToPicocli() {
        assertThat(PlainRunArgs.parse(new String[] {"--paused"})).as("no --id").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--help"})).as("help").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "-h"})).isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--id", "b"})).as("repeated").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--bogus", "1"})).as("unknown").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--memory", "lots"})).as("not a number").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--kernel", "--paused"})).as("option as value")
                .isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--kernel"})).as("missing value").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--kernel="})).as("empty value").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "--paused=true"})).as("flag with value").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"@args.txt"})).as("argument file").isNull();
        assertThat(PlainRunArgs.parse(new String[] {"--id", "a", "extra"})).as("positional").isNull();
    }

    @Test
    void theCommandLineItGivesUpOnGetsPicocliMessages() {
        var r = dev.vmsup.supervisor.testing.InProcessCli.run("run", "--id", "a", "--memory", "lots");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--memory").contains("lots");
    }
}
