package dev.vmsup.supervisor.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the version from the jar manifest (the Maven project version). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"vmsup " + (v == null ? "development build" : v)};
    }
}
