package dev.cordyna.example;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Set;

/**
 * How to reach cerebro, from the variables every Cordyna client reads:
 * CORDYNA_TLS_CA trusts that CA (and only it), CORDYNA_TLS_CLIENT_CERT and
 * CORDYNA_TLS_CLIENT_KEY present a client certificate (mTLS), CORDYNA_TLS=on
 * alone trusts the JVM's CAs; none of them, plaintext.
 */
final class CerebroTls {
  private static final String PKCS8 = "-----BEGIN PRIVATE KEY-----";

  private CerebroTls() {}

  /** Throws IllegalArgumentException naming the variable (and the file) that is wrong. */
  static ChannelCredentials fromEnv() {
    String on = value("CORDYNA_TLS");
    if (on != null && !Set.of("on", "off", "true", "false", "1", "0").contains(on)) {
      throw new IllegalArgumentException("CORDYNA_TLS: \"" + on + "\" is neither on nor off");
    }
    byte[] ca = certificates("CORDYNA_TLS_CA");
    byte[] cert = certificates("CORDYNA_TLS_CLIENT_CERT");
    byte[] key = read("CORDYNA_TLS_CLIENT_KEY");
    // grpc-java (Netty) takes PKCS #8 keys only, and would say so late and vaguely.
    if (key != null && !new String(key, StandardCharsets.US_ASCII).contains(PKCS8)) {
      throw new IllegalArgumentException("CORDYNA_TLS_CLIENT_KEY: "
          + value("CORDYNA_TLS_CLIENT_KEY") + " holds no PKCS #8 key (" + PKCS8
          + "); convert it with openssl pkcs8 -topk8 -nocrypt");
    }
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(
          "CORDYNA_TLS_CLIENT_CERT and CORDYNA_TLS_CLIENT_KEY go together: set both");
    }
    if (ca == null && cert == null && !Set.of("on", "true", "1").contains(String.valueOf(on))) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    try {
      if (ca != null) tls.trustManager(new ByteArrayInputStream(ca));
      if (cert != null) {
        tls.keyManager(new ByteArrayInputStream(cert), new ByteArrayInputStream(key));
      }
    } catch (IOException | IllegalArgumentException unusable) {
      throw new IllegalArgumentException("TLS settings: " + unusable.getMessage(), unusable);
    }
    return tls.build();
  }

  /** The file's bytes, checked to hold PEM certificates (grpc-java parses them only later). */
  private static byte[] certificates(String name) {
    byte[] pem = read(name);
    if (pem == null) return null;
    try {
      if (CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem)).isEmpty()) {
        throw new CertificateException("no certificate in it");
      }
    } catch (CertificateException notCertificates) {
      throw new IllegalArgumentException(name + ": " + value(name)
          + " holds no PEM certificate: " + notCertificates.getMessage(), notCertificates);
    }
    return pem;
  }

  private static String value(String name) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static byte[] read(String name) {
    String path = value(name);
    if (path == null) return null;
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (NoSuchFileException missing) {
      throw new IllegalArgumentException(
          name + ": cannot read " + path + ": no such file", missing);
    } catch (IOException | RuntimeException error) {
      throw new IllegalArgumentException(name + ": cannot read " + path + ": " + error, error);
    }
  }
}
