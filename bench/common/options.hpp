#pragma once
// ArgReader: the load generators' command lines, one flag at a time. A flag's value is the
// next argument; a missing value calls usage("missing value for <flag>"), one that does not
// convert usage("bad value for <flag>"), unknown() usage("unknown option <flag>"). usage()
// must not return (it prints and exits); if it does, the process exits with status 2.
//
//   ArgReader args(argc, argv, usage);
//   while (args.next()) {
//       if (args.flag() == "--seconds") o.seconds = args.number();
//       else args.unknown();
//   }

#include <cstddef>
#include <exception>
#include <string>
#include <vector>

namespace parley::bench {

class ArgReader {
  public:
    using Usage = void (*)(const std::string& why);

    ArgReader(int argc, char** argv, Usage usage) : argc_(argc), argv_(argv), usage_(usage) {}

    bool next();  // the next flag; false after the last
    const std::string& flag() const { return flag_; }

    std::string text();
    double number();                  // std::stod
    int integer();                    // std::stoi
    std::size_t count();              // std::stoul
    std::vector<std::size_t> counts();  // comma-separated std::stoul
    [[noreturn]] void unknown();
    [[noreturn]] void fail(const std::string& why);

  private:
    // The value converted by `parse` (which throws on bad input) or usage().
    template <class Parse>
    auto convert(Parse parse) {
        const std::string v = text();
        try {
            return parse(v);
        } catch (const std::exception&) {
            fail("bad value for " + flag_);
        }
    }

    int argc_;
    char** argv_;
    Usage usage_;
    int i_ = 0;
    std::string flag_;
};

// The flags both generators take: --seconds --warmup --setup-timeout --ms-bin --ms-cpu --cpu
// --media-workers --slots --window --rt-priority --media-priority --ms-log-level.
struct GeneratorOptions {
    double seconds = 10;
    double warmup = 3;
    double setupTimeout = 90;
    std::string msBin;  // default: parley-ms next to the generator
    int msCpu = 1;
    int cpu = 0;
    int mediaWorkers = 1;
    int slots = 10;
    std::size_t window = 32;  // control requests in flight during set-up
    int rtPriority = 0;       // > 0: SCHED_FIFO for parley-ms and the generator
    int mediaPriority = 0;    // > 0: parley-ms --media-priority
    bool stallProbe = true;   // with an RT priority: the stall probe on parley-ms's CPU
    bool msKeepAwake = false;  // parley-ms --media-keep-awake on
    std::string msLogLevel = "notice";
};

// Reads the current flag into `o` when it is one of GeneratorOptions'; false otherwise.
bool readGeneratorFlag(ArgReader& args, GeneratorOptions& o);
// --rt-priority and --media-priority must be 0..99 (else usage()).
void checkPriorities(ArgReader& args, const GeneratorOptions& o);

// `name` next to the running binary (argv[0]'s directory, made absolute).
std::string siblingBinary(const char* argv0, const std::string& name);

}  // namespace parley::bench
