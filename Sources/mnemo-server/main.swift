#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Server

exit(ServerMain.run(Array(CommandLine.arguments.dropFirst())))
