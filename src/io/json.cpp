#include "elbo/io/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "elbo/error.hpp"

namespace elbo::json {

const char* type_name(Type t) {
  switch (t) {
    case Type::null: return "null";
    case Type::boolean: return "boolean";
    case Type::integer: return "integer";
    case Type::number: return "number";
    case Type::string: return "string";
    case Type::array: return "array";
    case Type::object: return "object";
  }
  return "?";
}

// ---- Value ----------------------------------------------------------------------------------------

Value::Value(uint64_t i) : type_(Type::integer) {
  ELBO_CHECK(i <= static_cast<uint64_t>(INT64_MAX), "json::Value: integer ", i, " does not fit in int64");
  int_ = static_cast<int64_t>(i);
}

Value Value::array() {
  Value v;
  v.type_ = Type::array;
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::object;
  return v;
}

void Value::expect(Type t, const char* op) const {
  ELBO_CHECK(type_ == t, "json: ", op, " needs a", t == Type::array || t == Type::object || t == Type::integer ? "n " : " ",
             type_name(t), ", the value is a", type_ == Type::array || type_ == Type::object || type_ == Type::integer ? "n " : " ",
             type_name(type_));
}

bool Value::as_bool() const {
  expect(Type::boolean, "as_bool");
  return bool_;
}

int64_t Value::as_int() const {
  expect(Type::integer, "as_int");
  return int_;
}

double Value::as_double() const {
  if (type_ == Type::integer) return static_cast<double>(int_);
  expect(Type::number, "as_double");
  return number_;
}

const std::string& Value::as_string() const {
  expect(Type::string, "as_string");
  return string_;
}

size_t Value::size() const {
  if (type_ == Type::object) return object_.size();
  expect(Type::array, "size");
  return array_.size();
}

const Value& Value::operator[](size_t i) const {
  expect(Type::array, "operator[]");
  ELBO_CHECK(i < array_.size(), "json: index ", i, " out of range for an array of ", array_.size());
  return array_[i];
}

Value& Value::operator[](size_t i) {
  expect(Type::array, "operator[]");
  ELBO_CHECK(i < array_.size(), "json: index ", i, " out of range for an array of ", array_.size());
  return array_[i];
}

Value& Value::push_back(Value v) {
  expect(Type::array, "push_back");
  array_.push_back(std::move(v));
  return array_.back();
}

const std::vector<Value>& Value::items() const {
  expect(Type::array, "items");
  return array_;
}

const Value* Value::find(std::string_view key) const {
  expect(Type::object, "find");
  for (const auto& [k, v] : object_)
    if (k == key) return &v;
  return nullptr;
}

bool Value::contains(std::string_view key) const { return find(key) != nullptr; }

const Value& Value::at(std::string_view key) const {
  const Value* v = find(key);
  ELBO_CHECK(v != nullptr, "json: the object has no member \"", key, "\"");
  return *v;
}

Value& Value::operator[](std::string_view key) {
  expect(Type::object, "operator[]");
  for (auto& [k, v] : object_)
    if (k == key) return v;
  object_.emplace_back(std::string(key), Value());
  return object_.back().second;
}

Value& Value::set(std::string_view key, Value v) {
  Value& slot = (*this)[key];
  slot = std::move(v);
  return slot;
}

const std::vector<std::pair<std::string, Value>>& Value::members() const {
  expect(Type::object, "members");
  return object_;
}

bool Value::operator==(const Value& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::null: return true;
    case Type::boolean: return bool_ == o.bool_;
    case Type::integer: return int_ == o.int_;
    case Type::number: return number_ == o.number_ || (std::isnan(number_) && std::isnan(o.number_));
    case Type::string: return string_ == o.string_;
    case Type::array: return array_ == o.array_;
    case Type::object: return object_ == o.object_;
  }
  return false;
}

// ---- parser -----------------------------------------------------------------------------------------

namespace {

constexpr int kMaxDepth = 256;

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Value document() {
    skip_space();
    Value v = value(0);
    skip_space();
    if (pos_ < text_.size()) fail("expected the end of the text");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    int line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string found;
    if (pos_ >= text_.size()) {
      found = "the end of the text";
    } else {
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c >= 0x20 && c < 0x7F) found = std::string("'") + static_cast<char>(c) + "'";
      else found = "byte " + std::to_string(c);
    }
    elbo::detail::fail(source_, ": line ", line, ", column ", column, ": ", expected, ", found ", found);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  void literal(const char* word) {
    size_t n = std::strlen(word);
    if (text_.substr(pos_, n) != word) fail(std::string("expected '") + word + "'");
    pos_ += n;
  }

  Value value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than 256 levels");
    switch (peek()) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return Value(string());
      case 't': literal("true"); return Value(true);
      case 'f': literal("false"); return Value(false);
      case 'n': literal("null"); return Value();
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number();
        fail("expected a value (object, array, string, number, true, false or null)");
    }
  }

  Value object(int depth) {
    Value v = Value::object();
    ++pos_;  // '{'
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      if (peek() != '"') fail("expected a member name in double quotes");
      size_t key_pos = pos_;
      std::string key = string();
      if (v.contains(key)) {
        pos_ = key_pos;
        fail("duplicate member name \"" + key + "\"");
      }
      skip_space();
      if (peek() != ':') fail("expected ':' after a member name");
      ++pos_;
      skip_space();
      Value member = value(depth + 1);
      v.set(key, std::move(member));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      fail("expected ',' or '}' in an object");
    }
  }

  Value array(int depth) {
    Value v = Value::array();
    ++pos_;  // '['
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      v.push_back(value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return v;
      }
      fail("expected ',' or ']' in an array");
    }
  }

  unsigned hex4() {
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else fail("expected 4 hexadecimal digits after \\u");
      u = u * 16 + d;
      ++pos_;
    }
    return u;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (at_end()) fail("expected '\"' to close the string");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("expected a character (control characters must be escaped in strings)");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {  // a high surrogate must be followed by a low one
            if (peek() != '\\') fail("expected a low surrogate \\uDC00-\\uDFFF after a high surrogate");
            ++pos_;
            if (peek() != 'u') fail("expected a low surrogate \\uDC00-\\uDFFF after a high surrogate");
            ++pos_;
            unsigned low = hex4();
            if (low < 0xDC00 || low >= 0xE000) fail("expected a low surrogate \\uDC00-\\uDFFF after a high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            pos_ -= 6;
            fail("expected a code point, not a lone low surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          pos_ -= 1;
          fail("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }

  // number = [ '-' ] ( '0' | [1-9][0-9]* ) [ '.' [0-9]+ ] [ ( 'e' | 'E' ) [ '+' | '-' ] [0-9]+ ]
  Value number() {
    size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++pos_;
    } else {
      fail("expected a digit");
    }
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit after '.'");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit in the exponent");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      int64_t i = 0;
      auto [end, err] = std::from_chars(first, last, i);
      if (err == std::errc() && end == last) return Value(i);
      // Too large for int64: falls through to a double.
    }
    double d = 0.0;
    auto [end, err] = std::from_chars(first, last, d);
    if (err == std::errc::result_out_of_range) {
      pos_ = start;
      fail("expected a number within the range of a double");
    }
    if (err != std::errc() || end != last) {
      pos_ = start;
      fail("expected a number");
    }
    return Value(d);
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
};

// ---- writer -------------------------------------------------------------------------------------------

void write_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void write_number(std::string& out, double d) {
  ELBO_CHECK(std::isfinite(d), "json::dump: ", d, " has no JSON representation (only finite numbers do)");
  char buf[64];
  auto [end, err] = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  std::string s(buf, end);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // keeps it a double when read back
  out += s;
}

void write_value(std::string& out, const Value& v, int indent, int depth) {
  auto newline = [&](int level) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * level), ' ');
  };
  switch (v.type()) {
    case Type::null: out += "null"; return;
    case Type::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Type::integer: out += std::to_string(v.as_int()); return;
    case Type::number: write_number(out, v.as_double()); return;
    case Type::string: write_string(out, v.as_string()); return;
    case Type::array: {
      if (v.size() == 0) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        write_value(out, item, indent, depth + 1);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Type::object: {
      if (v.size() == 0) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, member] : v.members()) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        write_string(out, key);
        out += indent < 0 ? ":" : ": ";
        write_value(out, member, indent, depth + 1);
      }
      newline(depth);
      out += '}';
      return;
    }
  }
}

}  // namespace

Value parse(std::string_view text, const std::string& source) {
  Parser parser(text, source);
  return parser.document();
}

std::string dump(const Value& v, int indent) {
  std::string out;
  write_value(out, v, indent, 0);
  return out;
}

}  // namespace elbo::json
