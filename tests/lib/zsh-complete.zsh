# zsh -f tests/lib/zsh-complete.zsh FPATH_DIR LINE
#
# Print, sorted, the candidates zsh's real completion system offers for LINE
# (as if TAB were pressed at its end), with the completion function found in
# FPATH_DIR. An interactive zsh runs in a zpty; compadd is wrapped to print
# what it adds, and a comppostfunc marks the end (the approach of
# zsh-capture-completion).
zmodload zsh/zpty
fdir=$1 line=$2
zpty z env PATH="$PATH" HOME="$HOME" TERM=dumb zsh -f -i
zpty -w z "PS1=''; fpath=($fdir \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a __h; builtin compadd -A __h "$@"; local x; for x in $__h; do print -r -- "<<CA""ND:$x>>"; done; builtin compadd "$@" }'
zpty -w z 'print -r -- "<<READY>>"'
zpty -w z 'bindkey "^I" complete-word; comppostfuncs=(_nd_done); _nd_done() { print -r -- "<<DO""NE>>" }'
zpty -w z "$line"$'\t'
out= tries=0
while [[ $out != *'<<DONE>>'* ]] && ((tries < 100)); do
	if zpty -r -t z chunk 2>/dev/null; then
		out+=$chunk
	else
		sleep 0.05
		((tries++))
	fi
done
zpty -d z
print -r -- ${(F)${(M)${(f)out}:#*<<CAND:*}} | sed -n 's/.*<<CAND:\(.*\)>>.*/\1/p' | sort -u
