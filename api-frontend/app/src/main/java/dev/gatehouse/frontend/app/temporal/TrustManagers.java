package dev.gatehouse.frontend.app.temporal;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** A trust manager that trusts exactly the CA certificates of a PEM bundle. */
final class TrustManagers {
  private TrustManagers() {}

  static X509TrustManager fromPem(InputStream pem) throws IOException {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        store.setCertificateEntry("ca-" + i++, cert);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (GeneralSecurityException e) {
      throw new IOException("the CA bundle is not usable: " + e.getMessage(), e);
    }
  }
}
