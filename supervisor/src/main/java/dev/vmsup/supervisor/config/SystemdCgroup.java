package dev.vmsup.supervisor.config;

import java.util.Locale;

/**
 * Whether the sandbox's cgroup is made through systemd (Kata's {@code systemd_cgroup}): a delegated transient scope
 * asked of systemd over D-Bus. AUTO: when the parent is given in systemd form and PID 1 is systemd with its bus.
 */
public enum SystemdCgroup {
    OFF, ON, AUTO;

    /** true/false (Kata's boolean) or off/on/auto. */
    public static SystemdCgroup parse(String key, String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "on" -> ON;
            case "false", "off" -> OFF;
            case "auto" -> AUTO;
            default -> throw new ConfigException(key, key + ": expected off, on or auto, got " + SandboxId.shown(text));
        };
    }
}
