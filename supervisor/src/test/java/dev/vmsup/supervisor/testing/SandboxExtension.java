package dev.vmsup.supervisor.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import dev.vmsup.cgroupfs.Prerequisites;

/**
 * A {@link SandboxFixture} per test, as okhttp's MockWebServerExtension gives a server: register it as a static
 * field, take the fixture as a parameter of a {@code @BeforeEach} or test method. Prerequisites are checked once per
 * class (a missing one skips the class, or fails it under {@code CI=true}); the fixture, its temp dir and every
 * sandbox started through it are removed after each test, even when the test fails.
 */
public final class SandboxExtension implements BeforeAllCallback, ParameterResolver, AfterEachCallback {
    private final Set<String> v1Controllers;
    private final boolean qemu;
    private SandboxFixture current;
    private Path tmp;

    private SandboxExtension(Set<String> v1Controllers, boolean qemu) {
        this.v1Controllers = v1Controllers;
        this.qemu = qemu;
    }

    /** Fixtures on this host's cgroup v1 hierarchies with {@code controllers}. */
    public static SandboxExtension v1(Set<String> controllers) {
        return new SandboxExtension(Set.copyOf(controllers), false);
    }

    /** Fixtures on the cgroup2 mount. */
    public static SandboxExtension v2() {
        return new SandboxExtension(null, false);
    }

    /** The same, for tests that also need QEMU. */
    public SandboxExtension withQemu() {
        return new SandboxExtension(v1Controllers, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (qemu) {
            SandboxFixture.requireQemu();
        }
        if (v1Controllers == null) {
            Prerequisites.requireCgroup2();
        } else {
            Prerequisites.requireCgroupV1(v1Controllers.toArray(String[]::new));
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SandboxFixture.class;
    }

    @Override
    public synchronized SandboxFixture resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (current == null) {
            try {
                tmp = Files.createTempDirectory("vmsup-fixture");
            } catch (IOException e) {
                throw new IllegalStateException("cannot create a temp dir", e);
            }
            current = v1Controllers == null ? SandboxFixture.v2(tmp) : SandboxFixture.v1(tmp, v1Controllers);
        }
        return current;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) throws IOException {
        try {
            if (current != null) {
                current.close();
            }
        } finally {
            current = null;
            if (tmp != null) {
                TestFiles.deleteTree(tmp);
                tmp = null;
            }
        }
    }
}
