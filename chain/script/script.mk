# chain/script/script.mk: scripts, the interpreter, signature hashes, the
# signature cache and public-key operations (libsecp256k1), with their tests.
libchain_a_SOURCES += \
	chain/script/script.c chain/script/script.h \
	chain/script/pubkey.c chain/script/pubkey.h \
	chain/script/taproot.c chain/script/taproot.h \
	chain/script/sighash.c chain/script/sighash.h \
	chain/script/sigcache.c chain/script/sigcache.h \
	chain/script/interp_internal.h \
	chain/script/interpreter.c chain/script/interpreter.h \
	chain/script/checksig.c chain/script/verify.c
