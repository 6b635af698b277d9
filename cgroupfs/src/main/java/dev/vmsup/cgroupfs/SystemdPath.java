package dev.vmsup.cgroupfs;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The systemd cgroup driver's form {@code slice:prefix:name}, as runtimes pass it in an OCI
 * {@code cgroupsPath}, expanded with systemd's slice rules:
 * {@code kubepods-burstable-pod123.slice:cri-containerd:abc} becomes
 * {@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice/cri-containerd-abc.scope}.
 */
public final class SystemdPath {
    private static final String SLICE = ".slice";
    /** Characters systemd accepts in a unit name (before the type suffix). */
    private static final Pattern UNIT_CHARS = Pattern.compile("[A-Za-z0-9:_.\\\\@-]+");
    /** systemd's UNIT_NAME_MAX less the terminating NUL. */
    private static final int UNIT_NAME_MAX = 255;

    private SystemdPath() {
    }

    /** True if {@code spec} is in the {@code slice:prefix:name} form rather than a plain path. */
    public static boolean isSystemdForm(String spec) {
        return spec != null && !spec.startsWith("/") && spec.indexOf(':') >= 0;
    }

    /** Either form: a plain absolute path, or {@code slice:prefix:name}. */
    public static CgroupPath parseAny(String spec) {
        return isSystemdForm(spec) ? parse(spec) : CgroupPath.of(spec);
    }

    /** Expands {@code slice:prefix:name}; an empty slice means {@code system.slice}, as runc does. */
    public static CgroupPath parse(String spec) {
        if (spec == null || spec.indexOf('\0') >= 0) {
            throw new InvalidCgroupPathException(spec, "systemd path is null or contains NUL");
        }
        String[] parts = spec.split(":", -1);
        if (parts.length != 3) {
            throw new InvalidCgroupPathException(spec, "systemd path must be slice:prefix:name");
        }
        String slice = parts[0].isEmpty() ? "system.slice" : parts[0];
        String prefix = parts[1];
        String name = parts[2];
        if (name.isEmpty()) {
            throw new InvalidCgroupPathException(spec, "systemd path has an empty name");
        }
        String unit;
        if (name.endsWith(SLICE)) {
            checkUnitName(spec, name);
            unit = name;
        } else {
            if (prefix.isEmpty()) {
                throw new InvalidCgroupPathException(spec, "systemd path has an empty prefix for a scope");
            }
            unit = prefix + "-" + name + ".scope";
            checkUnitName(spec, unit);
        }
        List<String> components = new ArrayList<>(expandSlice(spec, slice).components());
        components.add(unit);
        return new CgroupPath(components);
    }

    /** A scope unit and the slice it goes in, as {@code slice:prefix:name} names them. */
    public record Scope(String slice, String unit) {
    }

    /**
     * The scope that {@code slice:prefix:name} names ({@code prefix-name.scope} in {@code slice}, which defaults to
     * system.slice), checked as {@link #parse} checks it; null when the name is itself a slice (no scope).
     */
    public static Scope scope(String spec) {
        CgroupPath path = parse(spec);
        if (!path.name().endsWith(".scope")) {
            return null;
        }
        String slice = spec.substring(0, spec.indexOf(':'));
        return new Scope(slice.isEmpty() ? "system.slice" : slice, path.name());
    }

    /**
     * Expands one slice name into its path: {@code a-b-c.slice} is {@code /a.slice/a-b.slice/a-b-c.slice};
     * {@code -.slice} is the root.
     */
    public static CgroupPath expandSlice(String slice) {
        return expandSlice(slice, slice);
    }

    private static CgroupPath expandSlice(String spec, String slice) {
        if (!slice.endsWith(SLICE) || slice.length() == SLICE.length()) {
            throw new InvalidCgroupPathException(spec, "slice '" + slice + "' must be a name ending in .slice");
        }
        checkUnitName(spec, slice);
        if (slice.indexOf('@') >= 0) {
            throw new InvalidCgroupPathException(spec, "slice '" + slice + "' contains '@': a slice is a plain unit "
                    + "name, never a template or an instance");
        }
        String base = slice.substring(0, slice.length() - SLICE.length());
        if (base.equals("-")) {
            return CgroupPath.ROOT;
        }
        List<String> components = new ArrayList<>();
        StringBuilder prefix = new StringBuilder();
        for (String part : base.split("-", -1)) {
            if (part.isEmpty()) {
                throw new InvalidCgroupPathException(spec,
                        "slice '" + slice + "' has an empty component (leading, trailing or double '-')");
            }
            components.add(prefix + part + SLICE);
            prefix.append(part).append('-');
        }
        return new CgroupPath(components);
    }

    private static void checkUnitName(String spec, String unit) {
        if (unit.length() > UNIT_NAME_MAX) {
            throw new InvalidCgroupPathException(spec, "unit name longer than " + UNIT_NAME_MAX + " characters");
        }
        if (!UNIT_CHARS.matcher(unit).matches()) {
            throw new InvalidCgroupPathException(spec, "unit name '" + unit + "' has characters systemd does not allow");
        }
        if (unit.startsWith(".")) {
            throw new InvalidCgroupPathException(spec, "unit name '" + unit + "' starts with '.'");
        }
    }
}
