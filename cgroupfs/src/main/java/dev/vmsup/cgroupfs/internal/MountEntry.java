package dev.vmsup.cgroupfs.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** One line of {@code /proc/<pid>/mountinfo}: where a filesystem is mounted and with which options. */
public record MountEntry(String root, String mountPoint, String fsType, Set<String> superOptions) {
    public MountEntry {
        superOptions = Set.copyOf(superOptions);
    }

    /**
     * Parses mountinfo text. Fields: id, parent, major:minor, root, mount point, mount options, optional
     * fields up to "-", then fs type, source, super options. Octal escapes ({@code \040}) are decoded.
     */
    public static List<MountEntry> parseAll(String mountinfo) {
        List<MountEntry> entries = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(" ");
            int sep = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    sep = i;
                    break;
                }
            }
            if (f.length < 7 || sep < 0 || sep + 3 > f.length) {
                throw new IllegalArgumentException("malformed mountinfo line: " + line);
            }
            Set<String> options = new LinkedHashSet<>(List.of(f[sep + 3].split(",")));
            entries.add(new MountEntry(unescape(f[3]), unescape(f[4]), f[sep + 1], options));
        }
        return entries;
    }

    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
