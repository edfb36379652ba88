#include "engine/merge.h"

#include <gtest/gtest.h>

namespace corral::engine {
namespace {

using Strings = std::vector<std::string>;

image::ImageConfig image_with(std::optional<Strings> entrypoint, std::optional<Strings> cmd) {
    image::ImageConfig image;
    image.entrypoint = std::move(entrypoint);
    image.cmd = std::move(cmd);
    image.env = {"PATH=/usr/bin:/bin", "LANG=C"};
    image.working_dir = "/srv";
    image.user = "daemon";
    image.labels = {{"from", "image"}, {"shared", "image"}};
    image.stop_signal = "SIGQUIT";
    return image;
}

Command run(const ContainerConfig& user, const image::ImageConfig& image) {
    auto merged = merge_config(user, image);
    EXPECT_FALSE(merged.is_error()) << merged.error().message();
    auto command = command_of(*merged);
    EXPECT_FALSE(command.is_error());
    return *command;
}

TEST(MergeConfig, ImageEntrypointAndCmd) {
    auto image = image_with(Strings{"/entry", "-x"}, Strings{"serve"});
    auto command = run({}, image);
    EXPECT_EQ(command.path, "/entry");
    EXPECT_EQ(command.args, (Strings{"-x", "serve"}));
}

TEST(MergeConfig, UserCmdReplacesImageCmdKeepsEntrypoint) {
    auto image = image_with(Strings{"/entry"}, Strings{"serve"});
    ContainerConfig user;
    user.cmd = Strings{"debug", "now"};
    auto command = run(user, image);
    EXPECT_EQ(command.path, "/entry");
    EXPECT_EQ(command.args, (Strings{"debug", "now"}));
}

TEST(MergeConfig, UserEntrypointDropsImageCmd) {
    auto image = image_with(Strings{"/entry"}, Strings{"serve"});
    ContainerConfig user;
    user.entrypoint = Strings{"/bin/sh"};
    auto command = run(user, image);
    EXPECT_EQ(command.path, "/bin/sh");
    EXPECT_TRUE(command.args.empty());
}

TEST(MergeConfig, UserEntrypointWithUserCmd) {
    auto image = image_with(Strings{"/entry"}, Strings{"serve"});
    ContainerConfig user;
    user.entrypoint = Strings{"/bin/sh", "-c"};
    user.cmd = Strings{"echo hi"};
    auto command = run(user, image);
    EXPECT_EQ(command.path, "/bin/sh");
    EXPECT_EQ(command.args, (Strings{"-c", "echo hi"}));
}

TEST(MergeConfig, EmptyStringEntrypointClearsBoth) {
    auto image = image_with(Strings{"/entry"}, Strings{"serve"});
    ContainerConfig user;
    user.entrypoint = Strings{""};
    user.cmd = Strings{"/bin/true"};
    auto command = run(user, image);
    EXPECT_EQ(command.path, "/bin/true");
    EXPECT_TRUE(command.args.empty());
    user.cmd.reset();
    auto merged = merge_config(user, image);
    ASSERT_TRUE(merged.is_error());
    EXPECT_EQ(merged.error().message(), "No command specified");
}

TEST(MergeConfig, ExplicitlyEmptyEntrypointKeepsImageCmd) {
    auto image = image_with(Strings{"/entry"}, Strings{"/bin/serve"});
    ContainerConfig user;
    user.entrypoint = Strings{};
    auto command = run(user, image);
    EXPECT_EQ(command.path, "/bin/serve");
}

TEST(MergeConfig, NothingToRun) {
    auto merged = merge_config({}, image_with(std::nullopt, std::nullopt));
    ASSERT_TRUE(merged.is_error());
    EXPECT_EQ(merged.error().kind(), ErrorKind::invalid_argument);
}

TEST(MergeConfig, EnvLabelsWorkdirUserStopSignal) {
    auto image = image_with(std::nullopt, Strings{"sh"});
    ContainerConfig user;
    user.env = {"LANG=en_US.UTF-8", "EXTRA=1", "PATH"};
    user.labels = {{"shared", "user"}};
    auto merged = merge_config(user, image);
    ASSERT_FALSE(merged.is_error());
    EXPECT_EQ(merged->env, (Strings{"LANG=en_US.UTF-8", "EXTRA=1"}));
    EXPECT_EQ(merged->labels.at("shared"), "user");
    EXPECT_EQ(merged->labels.at("from"), "image");
    EXPECT_EQ(merged->working_dir, "/srv");
    EXPECT_EQ(merged->user, "daemon");
    EXPECT_EQ(merged->stop_signal, "SIGQUIT");

    user.working_dir = "/tmp/../var//lib/";
    user.user = "root";
    user.stop_signal = "SIGINT";
    merged = merge_config(user, image);
    ASSERT_FALSE(merged.is_error());
    EXPECT_EQ(merged->working_dir, "/var/lib");
    EXPECT_EQ(merged->user, "root");
    EXPECT_EQ(merged->stop_signal, "SIGINT");

    user.working_dir = "relative";
    EXPECT_TRUE(merge_config(user, image).is_error());
}

TEST(MergeEnv, ReplacesInPlaceAppendsAndRemoves) {
    EXPECT_EQ(merge_env({"A=1", "B=2", "C=3"}, {"B=20", "D=4", "A"}),
              (Strings{"B=20", "C=3", "D=4"}));
}

TEST(CleanPath, Lexical) {
    EXPECT_EQ(clean_path("/"), "/");
    EXPECT_EQ(clean_path("//a/./b/../c/"), "/a/c");
    EXPECT_EQ(clean_path("/../.."), "/");
}

TEST(ValidateMounts, DockerMessages) {
    MountSpec bind;
    bind.source = "/definitely/not/here";
    bind.target = "/data";
    auto result = validate_mounts({bind});
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(),
              "invalid mount config for type \"bind\": bind source path does not exist: "
              "/definitely/not/here");
    bind.create_source = true;
    EXPECT_FALSE(validate_mounts({bind}).is_error());

    MountSpec relative;
    relative.source = "/tmp";
    relative.target = "data";
    EXPECT_TRUE(validate_mounts({relative}).is_error());

    MountSpec tmpfs;
    tmpfs.type = MountSpec::Type::tmpfs;
    tmpfs.target = "/data/";
    bind.create_source = false;
    bind.source = "/tmp";
    auto duplicate = validate_mounts({bind, tmpfs});
    ASSERT_TRUE(duplicate.is_error());
    EXPECT_EQ(duplicate.error().message(), "Duplicate mount point: /data");

    MountSpec volume;
    volume.type = MountSpec::Type::volume;
    volume.source = "../escape";
    volume.target = "/v";
    EXPECT_TRUE(validate_mounts({volume}).is_error());
    volume.source = "good_name-1";
    EXPECT_FALSE(validate_mounts({volume}).is_error());

    MountSpec propagation;
    propagation.source = "/tmp";
    propagation.target = "/p";
    propagation.propagation = "sideways";
    EXPECT_TRUE(validate_mounts({propagation}).is_error());
}

TEST(VolumesFrom, Parse) {
    auto plain = parse_volumes_from("data");
    ASSERT_FALSE(plain.is_error());
    EXPECT_EQ(plain->container, "data");
    EXPECT_FALSE(plain->read_only.has_value());
    auto read_only = parse_volumes_from("data:ro");
    ASSERT_FALSE(read_only.is_error());
    EXPECT_EQ(read_only->read_only, true);
    EXPECT_TRUE(parse_volumes_from("data:xx").is_error());
    EXPECT_TRUE(parse_volumes_from(":ro").is_error());
}

}  // namespace
}  // namespace corral::engine
