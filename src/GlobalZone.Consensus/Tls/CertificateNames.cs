using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using GlobalZone.Contracts;

namespace GlobalZone.Consensus.Tls;

/// <summary>Reads the <c>gz-member://</c> URI names of a certificate (the BCL reads only DNS and IP names).</summary>
public static class CertificateNames
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The (cluster, member id) pairs the certificate names.</summary>
    public static IReadOnlyList<(string Cluster, string MemberId)> Members(X509Certificate2 certificate)
    {
        var found = new List<(string, string)>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAlternativeNameOid)
                continue;
            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (reader.HasData)
                {
                    var tag = reader.PeekTag();
                    if (tag.HasSameClassAndValue(UriTag))
                    {
                        var uri = reader.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                        if (MemberCertificateNames.TryParse(uri, out var cluster, out var member))
                            found.Add((cluster, member));
                    }
                    else
                    {
                        reader.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                // A malformed extension names nobody.
            }
        }

        return found;
    }

    /// <summary>The member id the certificate gives for <paramref name="clusterName"/> (cluster compared without case: URI hosts are case-insensitive), or null.</summary>
    public static string? MemberOf(X509Certificate2 certificate, string clusterName)
    {
        foreach (var (cluster, member) in Members(certificate))
        {
            if (string.Equals(cluster, clusterName, StringComparison.OrdinalIgnoreCase))
                return member;
        }

        return null;
    }
}
