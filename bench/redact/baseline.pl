#!/usr/bin/perl
# baseline.pl: the plain-regex peer for bench/redact/run.sh: the same few structured detectors as
# regular expressions (no validation), substituted line by line. Prints MB/s like bench_anon.
use strict;
use warnings;
use Time::HiRes qw(time);

my $path = shift or die "usage: baseline.pl FILE\n";
open(my $fh, '<', $path) or die "open: $!\n";
local $/;
my $data = <$fh>;
close $fh;
my @lines = split /\n/, $data;
my $t0 = time;
my $n = 0;
for (@lines) {
    $n += s/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/[REDACTED_EMAIL]/g;
    $n += s/\b(?:\d[ -]?){13,19}\b/[REDACTED_CREDIT_CARD]/g;
    $n += s/\b\d{3}-\d{2}-\d{4}\b/[REDACTED_US_SSN]/g;
    $n += s/\b(?:\d{1,3}\.){3}\d{1,3}\b/[REDACTED_IP]/g;
    $n += s/\+?\d[\d ().-]{7,}\d/[REDACTED_PHONE]/g;
    $n += s/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}\b/[REDACTED_IBAN]/g;
    $n += s/\b(?:gh[pousr]_[A-Za-z0-9]{36}|AKIA[A-Z0-9]{16}|sk-[A-Za-z0-9_-]{20,})/[REDACTED_SECRET]/g;
}
my $dt = time - $t0;
printf("%.1f MB in %.3f s = %.1f MB/s (%d values)\n", length($data) / 1e6, $dt, length($data) / 1e6 / $dt, $n);
