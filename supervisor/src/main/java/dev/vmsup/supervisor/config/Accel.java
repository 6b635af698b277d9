package dev.vmsup.supervisor.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** QEMU accelerator choice: KVM, TCG (multi-threaded), or KVM when it is usable and TCG otherwise. */
public enum Accel {
    KVM, TCG, AUTO;

    /** The KVM device: {@code kvm} needs it readable and writable, {@code auto} looks at it. */
    public static final Path KVM_DEVICE = Path.of("/dev/kvm");

    /** True if {@code device} (the KVM device, or a stand-in) is readable and writable by this user. */
    public static boolean kvmUsable(Path device) {
        return Files.isReadable(device) && Files.isWritable(device);
    }

    public static Accel parse(String key, String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, key + ": expected kvm, tcg or auto, got " + SandboxId.shown(text));
        }
    }
}
