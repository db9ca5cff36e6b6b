# chain/ primitives: serialization, hashing, transactions, blocks, params.
libchain_a_SOURCES += \
	chain/serialize.c chain/serialize.h \
	chain/hash.c chain/hash.h \
	chain/hex.c chain/hex.h \
	chain/log.c chain/log.h \
	chain/coin.c chain/coin.h
