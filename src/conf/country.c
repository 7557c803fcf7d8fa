/* country.c - ISO 3166-1 alpha-2 country codes */
#include <string.h>

#include "conf/country.h"

/*
 * The 249 officially assigned codes, sorted, two letters each, as
 * ISO 3166-1 lists them (Debian's iso-codes 4.15).  Graph refuses any
 * other usageLocation.
 */
static const char codes[] =
	    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQ"
	    "BRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDM"
	    "DODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGS"
	    "GTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKN"
	    "KPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQ"
	    "MRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPM"
	    "PNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSV"
	    "SXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
	    "VNVUWFWSYEYTZAZMZW";

bool
country_code(const char *s, char out[3])
{
	size_t lo = 0, hi = (sizeof(codes) - 1) / 2, mid;
	char c[2];
	int i, cmp;

	if (s == NULL || strlen(s) != 2)
		return false;
	for (i = 0; i < 2; i++) {
		c[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') :
		    s[i];
		if (c[i] < 'A' || c[i] > 'Z')
			return false;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = memcmp(c, codes + 2 * mid, 2);
		if (cmp == 0) {
			out[0] = c[0];
			out[1] = c[1];
			out[2] = '\0';
			return true;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}
