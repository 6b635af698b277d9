package dev.vmsup.supervisor.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {
    @TempDir
    Path dir;

    private static final StateFile FULL = new StateFile("sb1", new ProcessIdentity(10, 1234, "java"),
            new ProcessIdentity(11, 1240, "qemu-system-x86"), null, "v1", List.of("cpu", "memory"),
            List.of("/vmsup", "/kata_overhead"), List.of("/vmsup/kata_sb1", "/kata_overhead/sb1"),
            List.of("/run/vmsup/sb1/qmp.sock"), true, null);

    @Test
    void whatIsWrittenIsReadBackPrivately() throws Exception {
        FULL.write(dir);
        assertThat(StateFile.read(dir)).isEqualTo(FULL);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(StateFile.path(dir))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(StateFile.path(dir))).contains("\"virtiofsd\" : null", "\"start_time\" : 1240",
                "\"state_dir_created\" : true", "\"systemd_scope\" : null");
    }

    @Test
    void aFileOfAnEarlierVmsupIsReadWithUnknownFieldsIgnoredAndMissingOnesEmpty() throws Exception {
        Files.writeString(StateFile.path(dir), """
                {"id":"old","supervisor":{"pid":5,"start_time":9,"comm":"java","extra":1},"hierarchy":"v2",
                 "cgroups":["/p/kata_old"],"future_field":{"a":[1,2]}}
                """);
        StateFile s = StateFile.read(dir);
        assertThat(s.id()).isEqualTo("old");
        assertThat(s.supervisor()).isEqualTo(new ProcessIdentity(5, 9, "java"));
        assertThat(s.qemu()).isNull();
        assertThat(s.cgroups()).containsExactly("/p/kata_old");
        assertThat(s.files()).isEmpty();
        assertThat(s.stateDirCreated()).isFalse();
    }

    @Test
    void wrongTypesAndMalformedJsonAreUnreadableNamingTheFile() throws Exception {
        for (String bad : List.of("{ not json", "[1,2]", "{\"supervisor\":{\"pid\":\"ten\",\"start_time\":1}}",
                "{\"cgroups\":\"/p\"}", "{\"cgroups\":[1]}", "{\"state_dir_created\":\"yes\"}", "{\"id\":7}")) {
            Files.writeString(StateFile.path(dir), bad);
            assertThatThrownBy(() -> StateFile.read(dir)).as(bad).isInstanceOf(StateFile.UnreadableStateException.class)
                    .hasMessageContaining(StateFile.path(dir).toString());
        }
    }

    @Test
    void noFileIsNull() {
        assertThat(StateFile.read(dir)).isNull();
    }
}
