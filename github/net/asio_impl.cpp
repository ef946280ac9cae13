// The one translation unit that compiles Asio, Asio.SSL, Beast and
// Boost.Process v2 (their separate-compilation mode): every other file
// includes only their declarations, which keeps the build fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/process/v2/src.hpp>
