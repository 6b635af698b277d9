package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SystemdPathTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "kubepods-burstable-pod123.slice:cri-containerd:abc | "
                    + "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice/cri-containerd-abc.scope",
            "system.slice:docker:f00 | /system.slice/docker-f00.scope",
            ":vmsup:sb1 | /system.slice/vmsup-sb1.scope",
            "-.slice:vmsup:sb1 | /vmsup-sb1.scope",
            "machine.slice::vmsup-x.slice | /machine.slice/vmsup-x.slice",
            "a-b-c.slice:p:n | /a.slice/a-b.slice/a-b-c.slice/p-n.scope",
    })
    void expandsSlicesLikeSystemd(String spec, String expected) {
        assertThat(SystemdPath.parse(spec).toString()).isEqualTo(expected);
        assertThat(SystemdPath.parseAny(spec).toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "kubepods.slice:cri",            // two fields
            "a:b:c:d",                       // four fields
            "kubepods:cri:abc",              // slice without .slice
            ".slice:cri:abc",                // suffix only
            "-kubepods.slice:cri:abc",       // leading dash
            "kubepods-.slice:cri:abc",       // trailing dash
            "kube--pods.slice:cri:abc",      // double dash
            "kube/pods.slice:cri:abc",       // path separator
            "kubepods.slice:cri:",           // empty name
            "kubepods.slice::abc",           // scope without prefix
            "kubepods.slice:cri:a b",        // space
            "kubepods.slice:cri:../x",       // dots and slash
            "kubepods.slice:cri:a\0b",       // NUL
    })
    void rejectsMalformed(String spec) {
        assertThatThrownBy(() -> SystemdPath.parse(spec)).isInstanceOf(InvalidCgroupPathException.class);
    }

    @Test
    void rejectsOverlongUnitName() {
        assertThatThrownBy(() -> SystemdPath.parse("x.slice:p:" + "n".repeat(260)))
                .isInstanceOf(InvalidCgroupPathException.class)
                .hasMessageContaining("longer than 255");
    }

    @Test
    void plainPathsAreNotSystemdForm() {
        assertThat(SystemdPath.isSystemdForm("/kubepods/pod1")).isFalse();
        assertThat(SystemdPath.parseAny("/kubepods/pod1")).isEqualTo(CgroupPath.of("/kubepods/pod1"));
        assertThat(SystemdPath.expandSlice("-.slice")).isEqualTo(CgroupPath.ROOT);
    }

    /**
     * systemd's own table for slice names, test_slice_to_path in src/test/test-cgroup-util.c (21 rows): the path a
     * slice expands to (systemd writes it without the leading slash, the root slice as ""), or INVALID.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "foobar.slice | foobar.slice",
            "foobar-waldo.slice | foobar.slice/foobar-waldo.slice",
            "foobar-waldo.service | INVALID",
            "-.slice | ''",
            "--.slice | INVALID",
            "- | INVALID",
            "-foo-.slice | INVALID",
            "-foo.slice | INVALID",
            "foo-.slice | INVALID",
            "foo--bar.slice | INVALID",
            "foo.slice/foo--bar.slice | INVALID",
            "a-b.slice | a.slice/a-b.slice",
            "a-b-c-d-e.slice | a.slice/a-b.slice/a-b-c.slice/a-b-c-d.slice/a-b-c-d-e.slice",
            "foobar@.slice | INVALID",
            "foobar@waldo.slice | INVALID",
            "foobar@waldo.service | INVALID",
            "-foo@-.slice | INVALID",
            "-foo@.slice | INVALID",
            "foo@-.slice | INVALID",
            "foo@@bar.slice | INVALID",
            "foo.slice/foo@@bar.slice | INVALID",
    })
    void slicesExpandExactlyAsSystemdsOwnTableSays(String slice, String expected) {
        if (expected.equals("INVALID")) {
            assertThatThrownBy(() -> SystemdPath.expandSlice(slice)).isInstanceOf(InvalidCgroupPathException.class);
            assertThatThrownBy(() -> SystemdPath.parse(slice + ":cri:abc")).isInstanceOf(InvalidCgroupPathException.class);
        } else {
            assertThat(SystemdPath.expandSlice(slice).toString()).isEqualTo("/" + expected);
        }
    }
}
