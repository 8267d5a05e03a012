#!/usr/bin/perl
# SPDX-License-Identifier: MIT OR Apache-2.0
# Reads a TAP file the way CI harnesses do (TAP::Parser, the parser behind `prove`) and prints its counts:
#   tests=N passed=N failed=N todo=N todo_passed=N skipped=N
# Exit 1 when the TAP does not parse cleanly (bad plan, malformed lines) or has an unexpected TODO pass — a test
# point marked TODO that is "ok": a known deviation must be written "not ok … # TODO".
use strict;
use warnings;
use TAP::Parser;

my $file = shift @ARGV or die "usage: tap_check.pl FILE.tap\n";
open(my $fh, '<', $file) or die "tap_check.pl: cannot read $file: $!\n";
my $tap = do { local $/; <$fh> };
close($fh);

my $parser = TAP::Parser->new({ tap => $tap });
while (defined(my $result = $parser->next)) { }

my @todo_passed = $parser->todo_passed;
printf "tests=%d passed=%d failed=%d todo=%d todo_passed=%d skipped=%d\n", scalar($parser->tests_run),
    scalar(my @p = $parser->passed), scalar(my @f = $parser->failed), scalar(my @t = $parser->todo),
    scalar(@todo_passed), scalar(my @s = $parser->skipped);
my $status = 0;
for my $error ($parser->parse_errors) {
    print "parse error: $error\n";
    $status = 1;
}
if (@todo_passed) {
    print "unexpected TODO pass: test point(s) @todo_passed\n";
    $status = 1;
}
exit $status;
