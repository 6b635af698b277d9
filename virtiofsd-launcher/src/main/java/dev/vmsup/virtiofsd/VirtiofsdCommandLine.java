package dev.vmsup.virtiofsd;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The virtiofsd argv for one shared directory, per flavour (an argument list, never a shell line). Pure. */
public final class VirtiofsdCommandLine {
    private VirtiofsdCommandLine() {
    }

    public static List<String> build(Flavour flavour, Path binary, Path socket, Path sharedDir, CacheMode cache) {
        List<String> argv = new ArrayList<>();
        argv.add(binary.toString());
        switch (flavour) {
            case C -> {
                if (sharedDir.toString().indexOf(',') >= 0) {
                    throw new VirtiofsdException("shared directory " + sharedDir
                            + " contains a comma, which the C virtiofsd's -o option list cannot take");
                }
                argv.add("--socket-path=" + socket);
                argv.add("-o");
                argv.add("source=" + sharedDir);
                argv.add("-o");
                argv.add("cache=" + cache.flag(flavour));
            }
            case RUST -> {
                argv.add("--socket-path");
                argv.add(socket.toString());
                argv.add("--shared-dir");
                argv.add(sharedDir.toString());
                argv.add("--cache");
                argv.add(cache.flag(flavour));
            }
        }
        return argv;
    }
}
