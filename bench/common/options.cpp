#include "bench/common/options.hpp"

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

namespace parley::bench {

bool ArgReader::next() {
    if (++i_ >= argc_) return false;
    flag_ = argv_[i_];
    return true;
}

void ArgReader::fail(const std::string& why) {
    usage_(why);
    std::exit(2);
}

void ArgReader::unknown() {
    fail("unknown option " + flag_);
}

std::string ArgReader::text() {
    if (i_ + 1 >= argc_) fail("missing value for " + flag_);
    return argv_[++i_];
}

double ArgReader::number() {
    return convert([](const std::string& v) { return std::stod(v); });
}

int ArgReader::integer() {
    return convert([](const std::string& v) { return std::stoi(v); });
}

std::size_t ArgReader::count() {
    return convert([](const std::string& v) { return std::stoul(v); });
}

std::vector<std::size_t> ArgReader::counts() {
    std::stringstream ss(text());
    std::vector<std::size_t> out;
    std::string item;
    try {
        while (std::getline(ss, item, ',')) out.push_back(std::stoul(item));
    } catch (const std::exception&) {
        fail("bad value for " + flag_);
    }
    return out;
}

bool readGeneratorFlag(ArgReader& args, GeneratorOptions& o) {
    const std::string& a = args.flag();
    if (a == "--seconds")
        o.seconds = args.number();
    else if (a == "--warmup")
        o.warmup = args.number();
    else if (a == "--setup-timeout")
        o.setupTimeout = args.number();
    else if (a == "--ms-bin")
        o.msBin = args.text();
    else if (a == "--ms-cpu")
        o.msCpu = args.integer();
    else if (a == "--cpu")
        o.cpu = args.integer();
    else if (a == "--media-workers")
        o.mediaWorkers = args.integer();
    else if (a == "--slots")
        o.slots = args.integer();
    else if (a == "--window")
        o.window = args.count();
    else if (a == "--rt-priority")
        o.rtPriority = args.integer();
    else if (a == "--media-priority")
        o.mediaPriority = args.integer();
    else if (a == "--ms-log-level")
        o.msLogLevel = args.text();
    else if (a == "--no-stall-probe")
        o.stallProbe = false;
    else if (a == "--ms-keep-awake")
        o.msKeepAwake = true;
    else
        return false;
    return true;
}

void checkPriorities(ArgReader& args, const GeneratorOptions& o) {
    if (o.rtPriority < 0 || o.rtPriority > 99) args.fail("--rt-priority must be 0..99");
    if (o.mediaPriority < 0 || o.mediaPriority > 99) args.fail("--media-priority must be 0..99");
}

std::string siblingBinary(const char* argv0, const std::string& name) {
    return (std::filesystem::absolute(argv0).parent_path() / name).string();
}

}  // namespace parley::bench
