#pragma once

#include <string>
#include <vector>

struct redisReply;  // hiredis

namespace canhbao::store {

// An owning copy of a hiredis redisReply, safe to keep after the hiredis callback returns.
struct RedisReply {
  enum class Kind { kNil, kInteger, kString, kStatus, kError, kArray };

  Kind kind = Kind::kNil;
  long long integer = 0;              // set for kInteger
  std::string str;                    // bulk string, status or error text; may contain NUL bytes
  std::vector<RedisReply> elements;   // set for kArray

  bool IsNil() const { return kind == Kind::kNil; }
  bool IsError() const { return kind == Kind::kError; }
  bool IsString() const { return kind == Kind::kString; }
  bool IsStatus() const { return kind == Kind::kStatus; }
  bool IsArray() const { return kind == Kind::kArray; }
  bool IsInteger() const { return kind == Kind::kInteger; }

  // Copies a hiredis reply tree. An unknown reply type (none exist in hiredis 0.14) becomes an
  // error reply whose text names the type.
  static RedisReply FromHiredis(const redisReply& reply);
};

}  // namespace canhbao::store
