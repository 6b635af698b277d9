package dev.vmsup.cgroupfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vmsup.cgroupfs.internal.MountDirs;

class CgroupPathTest {

    @ParameterizedTest
    @CsvSource({
            "/, 0",
            "/vmsup, 1",
            "/kubepods/pod123/kata_abc, 3",
            "/kata_overhead/sandbox-1.x, 2",
    })
    void acceptsNormalizedAbsolutePaths(String input, int depth) {
        CgroupPath p = CgroupPath.of(input);
        assertThat(p.depth()).isEqualTo(depth);
        assertThat(p.toString()).isEqualTo(input);
    }

    static Object[][] hostile() {
        return new Object[][] {
                {"", "empty"},
                {"relative/path", "not absolute"},
                {"../etc", "not absolute"},
                {"/../etc", "'..' component"},
                {"/a/../../b", "'..' component"},
                {"/a/./b", "'.' component"},
                {"/a//b", "empty component"},
                {"/a/b/", "trailing '/'"},
                {"/a\0b", "NUL"},
                {"/" + "x".repeat(300), "component of 300 bytes"},
                {"/ok/" + "é".repeat(128), "component of 256 bytes"},
        };
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void rejectsHostileInput(String input, String reason) {
        assertThatThrownBy(() -> CgroupPath.of(input))
                .isInstanceOf(InvalidCgroupPathException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void componentOf255BytesIsTheLimit() {
        assertThat(CgroupPath.of("/" + "x".repeat(255)).name()).hasSize(255);
    }

    @Test
    void childAndParentNavigate() {
        CgroupPath sandbox = CgroupPath.of("/vmsup").child("kata_abc");
        assertThat(sandbox.child("vcpu").toString()).isEqualTo("/vmsup/kata_abc/vcpu");
        assertThat(sandbox.parent()).isEqualTo(CgroupPath.of("/vmsup"));
        assertThat(CgroupPath.of("/vmsup").contains(sandbox)).isTrue();
        assertThat(sandbox.contains(CgroupPath.of("/vmsup"))).isFalse();
        assertThatThrownBy(() -> sandbox.child("..")).isInstanceOf(InvalidCgroupPathException.class);
        assertThatThrownBy(() -> sandbox.child("a/b")).isInstanceOf(InvalidCgroupPathException.class);
        assertThatThrownBy(CgroupPath.ROOT::parent).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void errorMessageShowsControlCharactersEscaped() {
        assertThatThrownBy(() -> CgroupPath.of("/a\0b")).hasMessageContaining("\\x00");
    }

    @Test
    void symlinkInsideMountCannotEscape(@TempDir Path tmp) throws IOException {
        Path mount = Files.createDirectories(tmp.resolve("mount"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(mount.resolve("evil"), outside);
        Files.createDirectories(mount.resolve("good"));

        assertThat(MountDirs.resolveInside(mount, CgroupPath.of("/good/new"))).isEqualTo(mount.resolve("good/new"));
        assertThatThrownBy(() -> MountDirs.resolveInside(mount, CgroupPath.of("/evil/x")))
                .isInstanceOf(InvalidCgroupPathException.class)
                .hasMessageContaining("symlink");
        assertThat(outside.resolve("x")).doesNotExist();
    }

    @Test
    void aFileWhereACgroupDirectoryWouldBeIsRefused(@TempDir Path mount) throws IOException {
        Files.writeString(mount.resolve("cgroup.procs"), "");
        assertThatThrownBy(() -> MountDirs.resolveInside(mount, CgroupPath.of("/cgroup.procs/x")))
                .isInstanceOf(InvalidCgroupPathException.class)
                .hasMessageContaining("not a directory");
    }

    @Test
    void pathsAreEqualByComponentsHowEverTheyWereMade() {
        CgroupPath parsed = CgroupPath.of("/kubepods/pod1");
        CgroupPath built = CgroupPath.ROOT.child("kubepods").child("pod1");
        assertThat(parsed).isEqualTo(built).hasSameHashCodeAs(built);
        assertThat(java.util.Set.of(parsed)).contains(built);
        assertThat(parsed).isNotEqualTo(CgroupPath.of("/kubepods/pod2"))
                .isNotEqualTo(CgroupPath.of("/kubepods"))
                .isNotEqualTo("/kubepods/pod1");
        assertThat(CgroupPath.ROOT).isEqualTo(CgroupPath.of("/"));
    }
}
