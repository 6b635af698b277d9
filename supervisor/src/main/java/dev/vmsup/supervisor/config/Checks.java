package dev.vmsup.supervisor.config;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.InvalidCgroupPathException;
import dev.vmsup.cgroupfs.SystemdPath;

/** The checks {@link Settings#resolve} applies to single values, each failing with one line naming the key. */
final class Checks {
    private Checks() {
    }

    static void checkComponent(String key, String name) {
        if (!name.matches("[A-Za-z0-9_.-]{1,255}") || name.equals(".") || name.equals("..")) {
            throw new ConfigException(key, key + ": " + SandboxId.shown(name)
                    + " is not a usable cgroup name (A-Z a-z 0-9 _ . -)");
        }
    }

    static CgroupPath cgroupPath(String key, String text) {
        try {
            CgroupPath p = SystemdPath.parseAny(text);
            if (p.isRoot()) {
                throw new ConfigException(key, key + ": the root cgroup cannot be used");
            }
            return p;
        } catch (InvalidCgroupPathException e) {
            throw new ConfigException(key, key + ": " + e.getMessage());
        }
    }

    static Path absolute(String key, String text) {
        if (text == null || text.isEmpty() || text.indexOf('\0') >= 0 || !text.startsWith("/")) {
            throw new ConfigException(key, key + ": " + SandboxId.shown(text) + " must be an absolute path");
        }
        return Path.of(text).normalize();
    }

    static Path executable(String key, String text) {
        Path p = absolute(key, text);
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            throw new ConfigException(key, key + ": " + p + " is not an executable file");
        }
        return p;
    }

    static Path readable(String key, String text) {
        if (text == null) {
            return null;
        }
        Path p = absolute(key, text);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new ConfigException(key, key + ": " + p + " is not a readable file");
        }
        return p;
    }

    /**
     * {@code accel = "kvm"} asked for explicitly needs {@code device} readable and writable now, before anything is
     * made: QEMU would only fail later, after vmsup had made its cgroups. {@code auto} and {@code tcg} need nothing.
     */
    static Accel checkAccel(Accel accel, Path device) {
        if (accel == Accel.KVM && !Accel.kvmUsable(device)) {
            throw new ConfigException("accel", "accel/--accel kvm: " + device + (Files.exists(device)
                    ? " is not readable and writable by this user" : " does not exist (this host offers no KVM)"));
        }
        return accel;
    }

    static String checkParams(String params) {
        if (params.indexOf('\0') >= 0 || params.indexOf('\n') >= 0) {
            throw new ConfigException("kernel_params", "kernel_params must be one line without NUL");
        }
        return params;
    }

    static String checkSerial(String serial) {
        if (serial.equals("stdio") || serial.equals("none")) {
            return serial;
        }
        return absolute("--serial", serial).toString();
    }
}
