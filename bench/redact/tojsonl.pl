#!/usr/bin/perl
# tojsonl.pl: bench_anon text (one ~1 KB document a line) on stdin -> JSONL on stdout, one
# {"id":N,"text":"..."} object a line, for timing `sluice redact` in bench/redact/run.sh. Texts of a
# few hundred bytes to ~4 KB in a fixed cycle: a line split at the first space after 300 bytes into
# two objects, or 1, 2 or 4 lines joined. The text is JSON-escaped ('"', '\', control characters).
use strict;
use warnings;

my @cycle = (1, 0, 2, 1, 4, 0, 1, 2); # 0: split one line into two objects
my ($id, $i, @acc) = (0, 0);

sub emit {
    my $t = shift;
    $t =~ s/(["\\])/\\$1/g;
    $t =~ s/([\x00-\x1f])/sprintf("\\u%04x", ord $1)/ge;
    $id++;
    print "{\"id\":$id,\"text\":\"$t\"}\n";
}

while (my $l = <STDIN>) {
    chomp $l;
    my $k = $cycle[$i % @cycle];
    if ($k == 0) {
        my $cut = index($l, ' ', 300);
        if ($cut < 0) { emit($l) } else { emit(substr($l, 0, $cut)); emit(substr($l, $cut + 1)) }
        $i++;
        next;
    }
    push @acc, $l;
    next if @acc < $k;
    emit(join(' ', @acc));
    @acc = ();
    $i++;
}
emit(join(' ', @acc)) if @acc;
