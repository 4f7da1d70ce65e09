#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine

/// Start-up: `mnemo-server [config-file] [--directive value ...]`, exactly like redis-server:
/// the file's directives first, then command-line overrides.
public enum ServerLauncher {
    public static func configure(_ arguments: [String]) throws -> (ServerConfig, String) {
        let config = ServerConfig()
        var args = arguments
        var file = ""
        if let first = args.first, !first.hasPrefix("--") {
            file = first
            args.removeFirst()
            let text: String
            if file == "-" {
                var data: [UInt8] = []
                while let line = readLine(strippingNewline: false) { data += Array(line.utf8) }
                text = String(decoding: data, as: UTF8.self)
            } else {
                guard let t = readFile(file) else {
                    throw ConfigError("Fatal error, can't open config file '\(file)': \(String(cString: strerror(errno)))")
                }
                text = t
            }
            try config.load(text: text, file: file)
        }
        // Group `--name v1 v2` into directives.
        var i = 0
        while i < args.count {
            let a = args[i]
            guard a.hasPrefix("--") else {
                throw ConfigError("*** FATAL CONFIG FILE ERROR (Mnemo) ***\nInvalid argument '\(a)' (directives start with --)")
            }
            let name = String(a.dropFirst(2))
            var values: [String] = []
            i += 1
            while i < args.count && !(args[i].hasPrefix("--") && args[i].count > 2 && values.count > 0) {
                if args[i].hasPrefix("--") && args[i].count > 2 && !name.isEmpty && values.isEmpty
                    && config.directives[ServerConfig.canonicalName(String(args[i].dropFirst(2)))] != nil
                {
                    break
                }
                values.append(args[i])
                i += 1
            }
            do {
                if ServerConfig.canonicalName(name) == "save" {
                    try config.load(name, values.isEmpty ? [""] : values)
                } else {
                    try config.load(name, values)
                }
            } catch let e as ConfigError {
                throw ConfigError("*** FATAL CONFIG FILE ERROR (Mnemo) ***\nReading the configuration from the command line\n>>> '\(name) \(values.joined(separator: " "))'\n\(e.message)")
            }
        }
        return (config, file)
    }

    static func readFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
