// Value: the configuration tree as the YAML parser produced it, in our own types, with the
// source position of every node. Scalars keep their text and whether they were quoted, so a
// document round-trips (`permissions: 0755` stays "0755") and typing follows YAML rules only
// where the schema asks for a bool or a number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::config {

// Where a node came from: 1-based line and column, 0 when the node was built in code.
struct Mark {
    std::string file;
    int line = 0;
    int column = 0;
};

// What a plain (unquoted) scalar means under YAML's rules; quoted scalars are strings.
enum class ScalarType { null, boolean, integer, floating, string };

class Value {
  public:
    enum class Kind { null, scalar, sequence, mapping };
    using Entry = std::pair<std::string, Value>;

    Value() = default;
    static Value null() { return Value(); }
    // A scalar; `quoted` marks text that was (or must be) written in quotes: always a string.
    static Value scalar(std::string text, bool quoted = false);
    static Value string(std::string text) { return scalar(std::move(text), true); }
    static Value boolean(bool value) { return scalar(value ? "true" : "false"); }
    static Value integer(int64_t value) { return scalar(std::to_string(value)); }
    static Value sequence(std::vector<Value> items = {});
    static Value mapping(std::vector<Entry> entries = {});

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::null; }
    bool is_scalar() const { return kind_ == Kind::scalar; }
    bool is_sequence() const { return kind_ == Kind::sequence; }
    bool is_mapping() const { return kind_ == Kind::mapping; }

    // Scalars.
    const std::string& text() const { return text_; }
    bool quoted() const { return quoted_; }
    ScalarType scalar_type() const;
    std::optional<bool> as_bool() const;
    std::optional<int64_t> as_int() const;
    // Any scalar as text; null as "".
    std::optional<std::string> as_string() const;

    // Sequences.
    const std::vector<Value>& items() const { return items_; }
    std::vector<Value>& items() { return items_; }

    // Mappings, in document order.
    const std::vector<Entry>& entries() const { return entries_; }
    std::vector<Entry>& entries() { return entries_; }
    // Where each key of a mapping was written (index as in entries()); a default Mark for
    // keys added in code.
    const Mark& key_mark(size_t index) const;
    void set_key_mark(size_t index, Mark mark);
    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
    // Replaces the value of `key` or appends it.
    Value& set(std::string key, Value value);
    bool erase(std::string_view key);

    const Mark& mark() const { return mark_; }
    Value& with_mark(Mark mark) {
        mark_ = std::move(mark);
        return *this;
    }
    // Sets the file name of every mark in the tree.
    void set_file(const std::string& file);

    // A short description for messages: `"abc"`, `a list`, `a map`, `null`.
    std::string describe() const;
    // Structural equality: same kinds, same scalar text, same entries in any order.
    bool operator==(const Value& other) const;

  private:
    Kind kind_ = Kind::null;
    std::string text_;
    bool quoted_ = false;
    std::vector<Value> items_;
    std::vector<Entry> entries_;
    std::vector<Mark> key_marks_;
    Mark mark_;
};

// How YAML types a plain scalar's text (YAML 1.1 booleans yes/no/on/off included, as the Go
// YAML library RancherOS used did).
ScalarType classify_plain_scalar(std::string_view text);

}  // namespace corral::config
