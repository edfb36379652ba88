// The shim with real crun: output to the json-file log and to attach clients, exit codes,
// stdin, tty, rotation, and survival of the engine's death.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/shim.h"
#include "support.h"

namespace corral::runtime::testing {
namespace {

struct LogEntry {
    std::string log;
    std::string stream;
    std::string time;
};

std::vector<LogEntry> read_log(const std::string& path) {
    std::vector<LogEntry> entries;
    for (const auto& line : read_lines(path)) {
        if (line.empty())
            continue;
        auto json = nlohmann::json::parse(line);
        entries.push_back({json.at("log").get<std::string>(), json.at("stream").get<std::string>(),
                           json.at("time").get<std::string>()});
    }
    return entries;
}

TEST(Shim, EchoGoesToTheJsonLogAndTheExitCodeIsZero) {
    SKIP_UNLESS_WORLD();
    TestContainer container("echo", {"sh", "-c", "echo hello; echo oops >&2; printf tail"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    // The container runs only when started: until then the shim only listens.
    EXPECT_EQ(shim->state.container_pid, 0);
    auto started = start_container(container.exec_root_dir);
    ASSERT_TRUE(started) << started.error().message();
    EXPECT_GT(started->container_pid, 0);
    EXPECT_EQ(started->shim_pid, shim->state.shim_pid);
    auto status = wait_exit(*shim, container.exec_root_dir);
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_FALSE(status.oom_killed);
    EXPECT_GT(status.finished_at_ns, 0);
    auto entries = read_log(container.log_path);
    ASSERT_EQ(entries.size(), 3u);
    // stdout and stderr are separate pipes: compare per stream.
    std::vector<std::string> out, err;
    for (const auto& entry : entries)
        (entry.stream == "stdout" ? out : err).push_back(entry.log);
    EXPECT_EQ(out, (std::vector<std::string>{"hello\n", "tail"}));
    EXPECT_EQ(err, (std::vector<std::string>{"oops\n"}));
    EXPECT_TRUE(entries[0].time.ends_with("Z"));
    EXPECT_EQ(entries[0].time[4], '-');
    EXPECT_EQ(entries[0].time[10], 'T');
    // The shim cleaned up: rootfs unmounted, crun forgot the container.
    auto rootfs_entries = fs::list_dir(rootfs_dir(container.container_dir));
    ASSERT_TRUE(rootfs_entries);
    EXPECT_TRUE(rootfs_entries->empty());
    auto state = run({"crun", "--root", world().options.crun_root, "state", container.id});
    ASSERT_TRUE(state);
    EXPECT_NE(state->exit_code, 0);
    // ... and its cgroup is gone (removed without `crun delete`).
    EXPECT_FALSE(*fs::exists(cgroup_dir(world().options, container.id)));
    EXPECT_FALSE(*fs::exists(fs::join(world().options.crun_root, container.id)));
}

// The shim factory forks the shims of the following starts, which run their containers as
// freshly spawned ones do and outlive the factory; dropping the factory ends it, and without
// one spawn_shim spawns the shim itself.
TEST(Shim, ShimFactoryServesTheNextStarts) {
    SKIP_UNLESS_WORLD();
    ASSERT_TRUE(prepare_shim_factory(world().options));
    EXPECT_TRUE(has_shim_factory());
    ASSERT_TRUE(prepare_shim_factory(world().options));  // one factory at a time
    TestContainer first("factory-1", {"sh", "-c", "echo from-factory; sleep 0.3; exit 3"});
    TestContainer second("factory-2", {"sh", "-c", "exit 4"});
    auto first_shim = first.create();
    ASSERT_TRUE(first_shim) << first_shim.error().message();
    auto second_shim = second.create();
    ASSERT_TRUE(second_shim) << second_shim.error().message();
    EXPECT_NE(first_shim->state.shim_pid, second_shim->state.shim_pid);
    EXPECT_TRUE(has_shim_factory());  // it stays for the next start
    ASSERT_TRUE(start_container(first.exec_root_dir));
    ASSERT_TRUE(start_container(second.exec_root_dir));
    // The shims are not the factory's: its end leaves them running.
    drop_shim_factory();
    EXPECT_FALSE(has_shim_factory());
    EXPECT_EQ(wait_exit(*second_shim, second.exec_root_dir).exit_code, 4);
    EXPECT_EQ(wait_exit(*first_shim, first.exec_root_dir).exit_code, 3);
    auto log = fs::read_file(first.log_path);
    ASSERT_TRUE(log);
    EXPECT_NE(log->find("from-factory"), std::string::npos);

    // Without a factory the shim is spawned directly.
    TestContainer direct("factory-none", {"sh", "-c", "exit 5"});
    auto direct_shim = direct.create();
    ASSERT_TRUE(direct_shim) << direct_shim.error().message();
    ASSERT_TRUE(start_container(direct.exec_root_dir));
    EXPECT_EQ(wait_exit(*direct_shim, direct.exec_root_dir).exit_code, 5);
}

// A request the factory cannot read as a shim command line gets the parser's error.
TEST(Shim, ShimFactoryReportsABadRequest) {
    SKIP_UNLESS_WORLD();
    int sockets[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), 0);
    UniqueFd ours(sockets[0]), theirs(sockets[1]);
    pid_t factory = ::fork();
    if (factory == 0) {
        ours.reset();
        ::_exit(run_shim_factory(theirs.get()));
    }
    theirs.reset();
    auto ready = sys::pipe();
    ASSERT_TRUE(ready);
    std::string text = std::string("--no-such-option=1") + '\0';
    auto sent = sys::send_with_fd(ours.get(), text, (*ready)[1].get(), "shim factory");
    ASSERT_TRUE(sent) << sent.error().message();
    ASSERT_EQ(*sent, text.size());
    (*ready)[1].reset();
    char buffer[512] = {};
    auto n = sys::read((*ready)[0].get(), buffer);
    ASSERT_TRUE(n);
    std::string answer(buffer, *n);
    EXPECT_TRUE(answer.starts_with("error ")) << answer;
    EXPECT_NE(answer.find("no-such-option"), std::string::npos) << answer;
    ours.reset();  // end of file: the factory returns
    int status = 0;
    ASSERT_EQ(::waitpid(factory, &status, 0), factory);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// delete_container of a running container ends it (its whole cgroup is killed) and leaves
// neither crun state nor cgroup; the shim reports the kill.
TEST(Shim, DeleteContainerEndsARunningContainer) {
    SKIP_UNLESS_WORLD();
    TestContainer container("delete", {"sh", "-c", "sleep 100 & sleep 100"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));
    std::string cgroup = cgroup_dir(world().options, container.id);
    ASSERT_TRUE(*fs::exists(cgroup));
    auto deleted = delete_container(world().options, container.id);
    ASSERT_TRUE(deleted) << deleted.error().message();
    EXPECT_FALSE(*fs::exists(cgroup));
    EXPECT_FALSE(*fs::exists(fs::join(world().options.crun_root, container.id)));
    auto status = wait_exit(*shim, container.exec_root_dir);
    EXPECT_EQ(status.exit_code, 128 + SIGKILL);
    // A container crun does not know is no error; a malformed id is.
    EXPECT_TRUE(delete_container(world().options, container.id));
    EXPECT_FALSE(delete_container(world().options, "../escape"));
}

TEST(Shim, ExitCodeOfShellExit) {
    SKIP_UNLESS_WORLD();
    TestContainer container("exit7", {"sh", "-c", "exit 7"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));
    EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 7);
}

TEST(Shim, KilledContainerExitsWith137) {
    SKIP_UNLESS_WORLD();
    TestContainer container("killed", {"sleep", "1000"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));
    auto killed = kill_container(world().options, container.id, container.exec_root_dir, SIGKILL);
    ASSERT_TRUE(killed) << killed.error().message();
    EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 137);
}

// "exited" comes on the readiness pipe once exit.json is written and before the shim's
// clean-up; the shim stays (its rootfs still mounted or being unmounted) until that pipe is
// closed, then removes crun's state and the mount and exits.
TEST(Shim, ReportsTheExitOnItsPipeAndCleansUpAfterwards) {
    SKIP_UNLESS_WORLD();
    TestContainer container("notice", {"sh", "-c", "exit 7"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(shim->exit_notice);
    ASSERT_TRUE(start_container(container.exec_root_dir));
    pollfd notice{shim->exit_notice.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&notice, 1, 30000), 1);
    EXPECT_TRUE(read_exit_notice(shim->exit_notice.get()));
    auto status = read_exit_status(container.exec_root_dir);
    ASSERT_TRUE(status && *status);
    EXPECT_EQ((*status)->exit_code, 7);
    // Until our end closes, the shim is still there.
    pollfd gone{shim->pidfd.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&gone, 1, 200), 0);
    shim->exit_notice.reset();
    ASSERT_EQ(::poll(&gone, 1, 30000), 1) << "the shim did not exit";
    auto rootfs_entries = fs::list_dir(rootfs_dir(container.container_dir));
    ASSERT_TRUE(rootfs_entries);
    EXPECT_TRUE(rootfs_entries->empty()) << "the rootfs is still mounted";
    EXPECT_FALSE(*fs::exists(fs::join(world().options.crun_root, container.id)));
}

TEST(Shim, CrunKillBySignalNumber) {
    SKIP_UNLESS_WORLD();
    TestContainer container("crunkill", {"sleep", "1000"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto started = start_container(container.exec_root_dir);
    ASSERT_TRUE(started) << started.error().message();
    auto pids = container_pids(world().options, container.id);
    ASSERT_TRUE(pids) << pids.error().message();
    EXPECT_EQ(*pids, std::vector<pid_t>{started->container_pid});
    auto killed = kill(world().options, container.id, SIGTERM);
    ASSERT_TRUE(killed) << killed.error().message();
    // sleep as PID 1 of its namespace ignores SIGTERM without a handler: still running.
    pollfd descriptor{shim->pidfd.get(), POLLIN, 0};
    EXPECT_EQ(::poll(&descriptor, 1, 200), 0);
    ASSERT_TRUE(kill(world().options, container.id, SIGKILL));
    EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 137);
}

TEST(Shim, AttachBeforeStartGetsAllOutputAndTheExitCode) {
    SKIP_UNLESS_WORLD();
    TestContainer container("attach", {"sh", "-c", "seq 1 2000; echo done >&2; exit 3"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, false});
    ASSERT_TRUE(client) << client.error().message();
    auto started = client->start();
    ASSERT_TRUE(started) << started.error().message();
    auto received = receive_all(*client);
    std::string expected;
    for (int i = 1; i <= 2000; ++i)
        expected += std::to_string(i) + "\n";
    EXPECT_EQ(received.out, expected);
    EXPECT_EQ(received.err, "done\n");
    EXPECT_EQ(received.exit_code, 3);
    EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 3);
}

TEST(Shim, OnlySubscribedStreamsAreSent) {
    SKIP_UNLESS_WORLD();
    TestContainer container("streams", {"sh", "-c", "echo out; echo err >&2"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto client = ShimClient::connect(container.exec_root_dir, {false, true, false});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->start());
    auto received = receive_all(*client);
    EXPECT_EQ(received.out, "");
    EXPECT_EQ(received.err, "err\n");
    wait_exit(*shim, container.exec_root_dir);
}

TEST(Shim, StdinRoundTrip) {
    SKIP_UNLESS_WORLD();
    TestContainer container("stdin",
                            {"sh", "-c", "while read line; do echo \"got $line\"; done; echo eof"});
    container.shim.open_stdin = true;
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, true});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->start());
    ASSERT_TRUE(client->write_stdin("one\ntwo\n"));
    ASSERT_TRUE(client->close_stdin());
    auto received = receive_all(*client);
    EXPECT_EQ(received.out, "got one\ngot two\neof\n");
    EXPECT_EQ(received.exit_code, 0);
    wait_exit(*shim, container.exec_root_dir);
}

TEST(Shim, StdinOnceClosesStdinWhenTheClientLeaves) {
    SKIP_UNLESS_WORLD();
    TestContainer container("stdinonce", {"sh", "-c", "cat; echo closed"});
    container.shim.open_stdin = true;
    container.shim.stdin_once = true;
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto watcher = ShimClient::connect(container.exec_root_dir, {true, false, false});
    ASSERT_TRUE(watcher);
    {
        auto writer = ShimClient::connect(container.exec_root_dir, {false, false, true});
        ASSERT_TRUE(writer);
        ASSERT_TRUE(writer->start());
        ASSERT_TRUE(writer->write_stdin("data\n"));
    }
    auto received = receive_all(*watcher);
    EXPECT_EQ(received.out, "data\nclosed\n");
    wait_exit(*shim, container.exec_root_dir);
}

TEST(Shim, TtyContainer) {
    SKIP_UNLESS_WORLD();
    TestContainer container(
        "tty", {"sh", "-c", "stty size; read line; echo \"got $line\"; [ -t 1 ] && echo tty"});
    container.request.config.tty = true;
    container.shim.open_stdin = true;
    container.shim.rows = 30;
    container.shim.columns = 100;
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, true});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->resize(40, 120));
    ASSERT_TRUE(client->start());
    ASSERT_TRUE(client->write_stdin("hi\n"));
    auto received = receive_all(*client);
    EXPECT_NE(received.out.find("40 120"), std::string::npos) << received.out;
    EXPECT_NE(received.out.find("got hi"), std::string::npos) << received.out;
    EXPECT_NE(received.out.find("tty"), std::string::npos) << received.out;
    EXPECT_EQ(received.err, "");  // a tty merges the streams
    EXPECT_EQ(received.exit_code, 0);
    wait_exit(*shim, container.exec_root_dir);
    bool stdout_only = true;
    for (const auto& entry : read_log(container.log_path))
        stdout_only = stdout_only && entry.stream == "stdout";
    EXPECT_TRUE(stdout_only);
}

TEST(Shim, LogRotation) {
    SKIP_UNLESS_WORLD();
    TestContainer container(
        "rotate", {"sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done"});
    container.shim.log_config.max_size = 2000;
    container.shim.log_config.max_file = 3;
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));
    wait_exit(*shim, container.exec_root_dir);
    EXPECT_TRUE(*fs::exists(container.log_path));
    EXPECT_TRUE(*fs::exists(container.log_path + ".1"));
    EXPECT_TRUE(*fs::exists(container.log_path + ".2"));
    EXPECT_FALSE(*fs::exists(container.log_path + ".3"));
    for (const char* suffix : {"", ".1", ".2"}) {
        auto size = sys::stat(container.log_path + suffix);
        ASSERT_TRUE(size);
        EXPECT_LT(size->st_size, 2000 + 200);
    }
    // The newest lines are in the current file, in order, the oldest rotated away.
    auto current = read_log(container.log_path);
    ASSERT_FALSE(current.empty());
    EXPECT_EQ(current.back().log, "line-299\n");
    auto oldest = read_log(container.log_path + ".2");
    ASSERT_FALSE(oldest.empty());
    EXPECT_NE(oldest.front().log, "line-0\n");
}

TEST(Shim, LogTypeNoneWritesNoFile) {
    SKIP_UNLESS_WORLD();
    TestContainer container("nolog", {"echo", "quiet"});
    container.shim.log_config.type = "none";
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, false});
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->start());
    EXPECT_EQ(receive_all(*client).out, "quiet\n");
    wait_exit(*shim, container.exec_root_dir);
    EXPECT_FALSE(*fs::exists(container.log_path));
}

// crun run fails at the start: the start reports crun's error, the shim records it as the
// exit (128, as the engine does) and leaves nothing behind.
TEST(Shim, StartFailureIsReported) {
    SKIP_UNLESS_WORLD();
    TestContainer container("missing", {"/no/such/program"});
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, false});
    ASSERT_TRUE(client) << client.error().message();
    auto started = start_container(container.exec_root_dir);
    ASSERT_FALSE(started);
    EXPECT_NE(started.error().message().find("/no/such/program"), std::string::npos)
        << started.error().message();
    auto received = receive_all(*client);
    EXPECT_EQ(received.exit_code, 128);
    auto status = wait_exit(*shim, container.exec_root_dir);
    EXPECT_EQ(status.exit_code, 128);
    EXPECT_NE(status.error.find("/no/such/program"), std::string::npos) << status.error;
    EXPECT_FALSE(*fs::exists(container.exec_root_dir + "/attach.sock"));
    auto rootfs_entries = fs::list_dir(rootfs_dir(container.container_dir));
    ASSERT_TRUE(rootfs_entries);
    EXPECT_TRUE(rootfs_entries->empty());
}

TEST(Shim, SetupFailureIsReportedBySpawn) {
    SKIP_UNLESS_WORLD();
    TestContainer container("nolog", {"true"});
    container.shim.log_path = "/proc/no-such-dir/container.log";
    container.shim.log_config.type = "json-file";
    auto shim = container.create();
    ASSERT_FALSE(shim);
    EXPECT_NE(shim.error().message().find("/proc/no-such-dir"), std::string::npos)
        << shim.error().message();
    EXPECT_FALSE(*fs::exists(container.exec_root_dir + "/attach.sock"));
    auto rootfs_entries = fs::list_dir(rootfs_dir(container.container_dir));
    ASSERT_TRUE(rootfs_entries);
    EXPECT_TRUE(rootfs_entries->empty());
}

// The engine dies (SIGKILL) after spawning the shim: the container keeps running, and its
// exit status is recorded.
TEST(Shim, SurvivesTheDeathOfItsSpawner) {
    SKIP_UNLESS_WORLD();
    TestContainer container("orphan", {"sh", "-c", "read line; echo \"after $line\"; exit 5"});
    container.shim.open_stdin = true;
    auto bundle = prepare_bundle(container.request, world().options);
    ASSERT_TRUE(bundle) << bundle.error().message();
    bundle->rootfs->release();
    auto pipe = sys::pipe();
    ASSERT_TRUE(pipe);
    pid_t engine = ::fork();
    ASSERT_GE(engine, 0);
    if (engine == 0) {
        auto shim = spawn_shim(world().options, container.shim);
        if (!shim || !start_container(container.exec_root_dir))
            std::_Exit(1);
        (void)!::write((*pipe)[1].get(), "x", 1);
        ::pause();
        std::_Exit(0);
    }
    (*pipe)[1].reset();
    char byte;
    ASSERT_EQ(::read((*pipe)[0].get(), &byte, 1), 1);
    ASSERT_EQ(::kill(engine, SIGKILL), 0);
    ASSERT_TRUE(sys::waitpid(engine, 0));
    // Re-adopt, as a restarted engine would.
    auto adopted = open_shim(container.exec_root_dir);
    ASSERT_TRUE(adopted) << adopted.error().message();
    ASSERT_TRUE(adopted->has_value());
    EXPECT_TRUE(shim_alive((*adopted)->state));
    auto client = ShimClient::connect(container.exec_root_dir, {true, true, true});
    ASSERT_TRUE(client) << client.error().message();
    ASSERT_TRUE(client->write_stdin("restart\n"));
    auto received = receive_all(*client);
    EXPECT_EQ(received.out, "after restart\n");
    EXPECT_EQ(wait_exit(**adopted, container.exec_root_dir).exit_code, 5);
    auto entries = read_log(container.log_path);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].log, "after restart\n");
}

// A tty container that closes its terminal but keeps running must not make the shim spin.
TEST(Shim, ClosedTtyDoesNotBusyLoop) {
    SKIP_UNLESS_WORLD();
    TestContainer container("ttyclosed",
                            {"sh", "-c", "echo bye; exec >/dev/null 2>&1 </dev/null; sleep 1"});
    container.request.config.tty = true;
    auto shim = container.create();
    ASSERT_TRUE(shim) << shim.error().message();
    ASSERT_TRUE(start_container(container.exec_root_dir));
    ::usleep(800000);
    // utime + stime of the shim, in clock ticks (field 14 and 15 of /proc/<pid>/stat).
    auto stat = fs::read_file("/proc/" + std::to_string(shim->state.shim_pid) + "/stat");
    ASSERT_TRUE(stat);
    std::string rest = stat->substr(stat->rfind(')') + 2);
    std::vector<std::string> fields;
    size_t start = 0;
    while (start < rest.size()) {
        size_t end = rest.find(' ', start);
        if (end == std::string::npos)
            end = rest.size();
        fields.push_back(rest.substr(start, end - start));
        start = end + 1;
    }
    ASSERT_GT(fields.size(), 13u);
    long ticks = std::stol(fields[11]) + std::stol(fields[12]);
    EXPECT_LT(ticks, 30) << "the shim used " << ticks << " ticks while the container slept";
    EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 0);
    auto log = read_lines(container.log_path);
    ASSERT_FALSE(log.empty());
    EXPECT_NE(log[0].find("bye"), std::string::npos);
}

TEST(Shim, StartImmediately) {
    SKIP_UNLESS_WORLD();
    for (int round = 0; round < 5; ++round) {
        TestContainer container("immediate", {"sh", "-c", "echo now; exit 6"});
        container.shim.start_immediately = true;
        auto shim = container.create();
        ASSERT_TRUE(shim) << shim.error().message();
        EXPECT_EQ(wait_exit(*shim, container.exec_root_dir).exit_code, 6);
        auto log = read_lines(container.log_path);
        ASSERT_FALSE(log.empty());
        EXPECT_NE(log[0].find("now"), std::string::npos);
    }
    TestContainer fastest("immediate", {"true"});
    fastest.shim.start_immediately = true;
    auto shim = fastest.create();
    ASSERT_TRUE(shim) << shim.error().message();
    EXPECT_EQ(wait_exit(*shim, fastest.exec_root_dir).exit_code, 0);
}

}  // namespace
}  // namespace corral::runtime::testing
