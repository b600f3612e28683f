// JSON values (RFC 8259): parse, build, write.
//
// A Value is null, a boolean, a number, a string, an array or an object. Numbers come in two kinds:
// an integer written without fraction or exponent that fits in 64 bits stays an exact int64 (step
// counts, seeds, RNG counters); any other number is a double. Objects keep their members in
// insertion order (as Python's json), so a file written twice from the same values is the same file.
//
// Writing a double uses the shortest decimal that reads back to the same bits (std::to_chars), with
// ".0" added to integral values so that they read back as doubles: every Value round-trips exactly.
// NaN and infinities have no JSON spelling; writing one fails.
//
// Parse errors name the source, the line and column (1-based, in bytes) and what was expected.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace elbo::json {

enum class Type : uint8_t { null, boolean, integer, number, string, array, object };
const char* type_name(Type t);

class Value {
 public:
  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : type_(Type::boolean), bool_(b) {}
  Value(int i) : type_(Type::integer), int_(i) {}
  Value(int64_t i) : type_(Type::integer), int_(i) {}
  Value(uint64_t i);  // fails above INT64_MAX
  Value(double d) : type_(Type::number), number_(d) {}
  Value(const char* s) : type_(Type::string), string_(s) {}
  Value(std::string s) : type_(Type::string), string_(std::move(s)) {}
  Value(std::string_view s) : type_(Type::string), string_(s) {}
  static Value array();
  static Value object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool is_bool() const { return type_ == Type::boolean; }
  bool is_integer() const { return type_ == Type::integer; }
  bool is_number() const { return type_ == Type::integer || type_ == Type::number; }  // either kind
  bool is_string() const { return type_ == Type::string; }
  bool is_array() const { return type_ == Type::array; }
  bool is_object() const { return type_ == Type::object; }

  // Typed reads; each fails naming the type found. as_double accepts integers too.
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;

  // Arrays.
  size_t size() const;  // elements of an array, members of an object
  const Value& operator[](size_t i) const;
  Value& operator[](size_t i);
  Value& push_back(Value v);
  const std::vector<Value>& items() const;

  // Objects. at() fails naming the missing key; set() replaces or appends; operator[] appends null.
  bool contains(std::string_view key) const;
  const Value* find(std::string_view key) const;
  const Value& at(std::string_view key) const;
  Value& operator[](std::string_view key);
  Value& set(std::string_view key, Value v);
  const std::vector<std::pair<std::string, Value>>& members() const;

  // Same type and value (integer 1 and number 1.0 differ), members compared in order.
  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  void expect(Type t, const char* op) const;
  Type type_ = Type::null;
  bool bool_ = false;
  int64_t int_ = 0;
  double number_ = 0.0;
  std::string string_;
  std::vector<Value> array_;
  std::vector<std::pair<std::string, Value>> object_;
};

// Parses one JSON text (surrounding whitespace allowed). `source` names the text in errors.
// Nesting deeper than 256 levels is rejected.
Value parse(std::string_view text, const std::string& source = "JSON");

// Compact ("{"a":1,"b":[true,null]}") when indent < 0; otherwise one member or element per line,
// indented by `indent` spaces per level.
std::string dump(const Value& v, int indent = -1);

}  // namespace elbo::json
